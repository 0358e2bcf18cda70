package dev.memdec.converter.gguf;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One typed GGUF metadata value: a scalar, a string, or an array of scalars or strings (GGUF arrays of
 * arrays are not supported, as in llama.cpp). The type is kept exactly, because llama.cpp reads every
 * key through a typed getter and rejects, say, a UINT64 where it expects UINT32.
 *
 * <p>Scalars are held as {@code Long} (every integer type; UINT64 as its bit pattern), {@code Float},
 * {@code Double}, {@code Boolean} or {@code String}. Arrays are held as primitive arrays of the element
 * width (or an unmodifiable {@code List<String>}) and copied on the way in and out.
 */
public final class GgufValue {

    private final GgufValueType type;
    private final GgufValueType elementType;
    private final Object value;

    private GgufValue(GgufValueType type, GgufValueType elementType, Object value) {
        this.type = type;
        this.elementType = elementType;
        this.value = value;
    }

    /**
     * An integer scalar of any integer type. UINT64 accepts every long (read as unsigned); the other
     * types require {@code v} to be in their range.
     */
    public static GgufValue ofInteger(GgufValueType type, long v) {
        if (!type.isInteger()) {
            throw new IllegalArgumentException(type + " is not an integer type");
        }
        checkRange(type, v);
        return new GgufValue(type, null, v);
    }

    public static GgufValue ofUInt32(long v) {
        return ofInteger(GgufValueType.UINT32, v);
    }

    public static GgufValue ofInt32(int v) {
        return ofInteger(GgufValueType.INT32, v);
    }

    public static GgufValue ofUInt64(long v) {
        return ofInteger(GgufValueType.UINT64, v);
    }

    public static GgufValue ofFloat32(float v) {
        return new GgufValue(GgufValueType.FLOAT32, null, v);
    }

    public static GgufValue ofFloat64(double v) {
        return new GgufValue(GgufValueType.FLOAT64, null, v);
    }

    public static GgufValue ofBool(boolean v) {
        return new GgufValue(GgufValueType.BOOL, null, v);
    }

    public static GgufValue ofString(String v) {
        return new GgufValue(GgufValueType.STRING, null, Objects.requireNonNull(v, "string value"));
    }

    public static GgufValue ofStringArray(List<String> v) {
        return new GgufValue(GgufValueType.ARRAY, GgufValueType.STRING, List.copyOf(v));
    }

    public static GgufValue ofInt32Array(int[] v) {
        return new GgufValue(GgufValueType.ARRAY, GgufValueType.INT32, v.clone());
    }

    public static GgufValue ofFloat32Array(float[] v) {
        return new GgufValue(GgufValueType.ARRAY, GgufValueType.FLOAT32, v.clone());
    }

    /**
     * An array whose storage is a primitive array matching {@code elementType}: byte[] for (U)INT8,
     * short[] for (U)INT16, int[] for (U)INT32, long[] for (U)INT64, float[], double[], boolean[], or a
     * {@code List<String>} for STRING. Used by the reader; the array is not copied.
     */
    static GgufValue ofArrayUnchecked(GgufValueType elementType, Object storage) {
        return new GgufValue(GgufValueType.ARRAY, elementType, storage);
    }

    private static void checkRange(GgufValueType type, long v) {
        boolean ok = switch (type) {
            case UINT8 -> v >= 0 && v <= 0xFF;
            case INT8 -> v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE;
            case UINT16 -> v >= 0 && v <= 0xFFFF;
            case INT16 -> v >= Short.MIN_VALUE && v <= Short.MAX_VALUE;
            case UINT32 -> v >= 0 && v <= 0xFFFF_FFFFL;
            case INT32 -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
            default -> true;
        };
        if (!ok) {
            throw new IllegalArgumentException(v + " is out of range for " + type);
        }
    }

    public GgufValueType type() {
        return type;
    }

    /** The element type of an array, or null for a scalar. */
    public GgufValueType elementType() {
        return elementType;
    }

    public boolean isArray() {
        return type == GgufValueType.ARRAY;
    }

    /** The value of an integer scalar of any integer type (UINT64 as its bit pattern). */
    public long asLong() {
        if (!type.isInteger()) {
            throw wrongType("an integer");
        }
        return (Long) value;
    }

    public float asFloat32() {
        require(GgufValueType.FLOAT32);
        return (Float) value;
    }

    public double asFloat64() {
        require(GgufValueType.FLOAT64);
        return (Double) value;
    }

    public boolean asBool() {
        require(GgufValueType.BOOL);
        return (Boolean) value;
    }

    public String asString() {
        require(GgufValueType.STRING);
        return (String) value;
    }

    /** The number of elements of an array. */
    public int arrayLength() {
        requireArray();
        return value instanceof List<?> list ? list.size() : Array.getLength(value);
    }

    /** The elements of a STRING array (unmodifiable). */
    @SuppressWarnings("unchecked")
    public List<String> asStringList() {
        requireArray(GgufValueType.STRING);
        return (List<String>) value;
    }

    /** A copy of the elements of an INT32 or UINT32 array (UINT32 as bit patterns). */
    public int[] asInt32Array() {
        requireArray();
        if (elementType != GgufValueType.INT32 && elementType != GgufValueType.UINT32) {
            throw wrongType("an INT32 or UINT32 array");
        }
        return ((int[]) value).clone();
    }

    /** A copy of the elements of a FLOAT32 array. */
    public float[] asFloat32Array() {
        requireArray(GgufValueType.FLOAT32);
        return ((float[]) value).clone();
    }

    /** The elements of an integer array of any width, widened to long (unsigned types zero-extended). */
    public long[] asLongArray() {
        requireArray();
        if (!elementType.isInteger()) {
            throw wrongType("an integer array");
        }
        long[] out = new long[arrayLength()];
        boolean unsigned = elementType == GgufValueType.UINT8 || elementType == GgufValueType.UINT16
                || elementType == GgufValueType.UINT32;
        for (int i = 0; i < out.length; i++) {
            long v = Array.getLong(value, i);
            if (unsigned) {
                v &= switch (elementType) {
                    case UINT8 -> 0xFFL;
                    case UINT16 -> 0xFFFFL;
                    default -> 0xFFFF_FFFFL;
                };
            }
            out[i] = v;
        }
        return out;
    }

    /** The held object (see the class comment and {@link #ofArrayUnchecked}); for the writer, which does not modify it. */
    Object storage() {
        return value;
    }

    /**
     * The value as plain Java data for display or JSON: Long (unsigned values as Long; UINT64 above
     * Long.MAX_VALUE as its decimal String), Float, Double, Boolean, String, or a List of those.
     */
    public Object toPlain() {
        if (!isArray()) {
            return plainScalar(type, value);
        }
        if (value instanceof List<?> list) {
            return list;
        }
        int n = Array.getLength(value);
        List<Object> out = new ArrayList<>(n);
        long[] integers = elementType.isInteger() ? asLongArray() : null;
        for (int i = 0; i < n; i++) {
            out.add(plainScalar(elementType, integers != null ? (Object) integers[i] : Array.get(value, i)));
        }
        return out;
    }

    private static Object plainScalar(GgufValueType type, Object v) {
        if (type == GgufValueType.UINT64 && (Long) v < 0) {
            return Long.toUnsignedString((Long) v);
        }
        return v;
    }

    /** A short human-readable form: the scalar, or the element type, length and first elements of an array. */
    public String describe(int maxElements) {
        if (!isArray()) {
            Object plain = toPlain();
            return plain instanceof String s && type == GgufValueType.STRING ? '"' + s + '"' : String.valueOf(plain);
        }
        List<?> all = (List<?>) toPlain();
        StringBuilder sb = new StringBuilder().append(elementType).append('[').append(all.size()).append("] [");
        for (int i = 0; i < Math.min(maxElements, all.size()); i++) {
            sb.append(i == 0 ? "" : ", ");
            sb.append(elementType == GgufValueType.STRING ? '"' + String.valueOf(all.get(i)) + '"' : all.get(i));
        }
        return sb.append(all.size() > maxElements ? ", ...]" : "]").toString();
    }

    private void require(GgufValueType expected) {
        if (type != expected) {
            throw wrongType(expected.toString());
        }
    }

    private void requireArray() {
        if (!isArray()) {
            throw wrongType("an array");
        }
    }

    private void requireArray(GgufValueType expectedElement) {
        if (!isArray() || elementType != expectedElement) {
            throw wrongType("an array of " + expectedElement);
        }
    }

    private IllegalStateException wrongType(String expected) {
        return new IllegalStateException("value has type " + typeName() + ", expected " + expected);
    }

    /** "UINT32", or "ARRAY[STRING]" for arrays. */
    public String typeName() {
        return isArray() ? "ARRAY[" + elementType + "]" : type.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufValue other && type == other.type && elementType == other.elementType
                && Objects.deepEquals(value, other.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, elementType, Arrays.deepHashCode(new Object[] {value}));
    }

    @Override
    public String toString() {
        return typeName() + " " + describe(8);
    }
}

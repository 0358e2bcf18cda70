package dev.memdec.converter.gguf;

import java.util.Optional;

/** The value-type tags of GGUF metadata, with the byte width of the fixed-size ones. */
public enum GgufValueType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4), BOOL(7, 1),
    STRING(8, 8), ARRAY(9, 12), UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

    private static final GgufValueType[] BY_TAG = values();

    private final int tag;
    private final int size;

    GgufValueType(int tag, int size) {
        this.tag = tag;
        this.size = size;
    }

    /** The u32 tag stored in the file. */
    public int tag() {
        return tag;
    }

    /**
     * Bytes of a value of this type; for STRING and ARRAY the size of the length prefix (8) and of the
     * element-type tag plus count (12), which is the least such a value can take.
     */
    public int minSize() {
        return size;
    }

    /** Whether a scalar of this type is an integer ({@link GgufValue#asLong} reads it). */
    public boolean isInteger() {
        return this != FLOAT32 && this != FLOAT64 && this != BOOL && this != STRING && this != ARRAY;
    }

    static Optional<GgufValueType> find(int tag) {
        return tag >= 0 && tag < BY_TAG.length ? Optional.of(BY_TAG[tag]) : Optional.empty();
    }
}

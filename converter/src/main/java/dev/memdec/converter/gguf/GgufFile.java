package dev.memdec.converter.gguf;

import dev.memdec.converter.quant.TensorCodec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A validating, memory-mapped GGUF reader. Opening a file checks everything llama.cpp b4916's
 * {@code gguf_init_from_file} checks, and a few things more, so that a malformed file fails here with a
 * {@link GgufFormatException} naming the byte offset and field instead of aborting the JVM inside
 * llama.cpp:
 * <ul>
 *   <li>magic, version 2 or 3 (0, 1, above 3 and byte-swapped versions are rejected);</li>
 *   <li>every count and length against the bytes remaining before anything is allocated, keys and
 *       strings and arrays against {@link GgufLimits}, known value types, no arrays of arrays, non-empty
 *       and unique keys;</li>
 *   <li>{@code general.alignment}: UINT32, a power of two up to {@link GgufLimits#MAX_ALIGNMENT};
 *       {@code general.architecture}: STRING;</li>
 *   <li>tokenizer arrays: {@code tokens} and {@code merges} arrays of STRING, {@code token_type} of
 *       INT32, {@code scores} of FLOAT32, {@code token_type} and {@code scores} as long as {@code tokens}
 *       (merges have their own count);</li>
 *   <li>tensor infos: names 1..63 bytes and unique, at most 4 dims, no negative dim, no overflow in
 *       element count or byte size, known type, {@code ne[0]} a multiple of the block size, offsets equal
 *       to the running sum of padded sizes, all data inside the file.</li>
 * </ul>
 * <b>Trailing bytes</b>: the file must end between the end of the last tensor's data and the end of
 * its alignment padding (with no tensors: between the end of the tensor infos and the aligned data
 * start). Anything after that is rejected rather than ignored, because it means the file was
 * concatenated, truncated-and-appended or written by a writer that disagrees about sizes.
 *
 * <p>Files of any size (above 2 GB too) are mapped whole; tensor data is exposed as
 * {@link MemorySegment} slices that are valid until {@link #close()}. Instances are thread-safe for
 * reading.
 */
public final class GgufFile implements AutoCloseable {

    private static final int MAGIC = 0x46554747;
    /** Smallest possible tensor-info record: empty name length, n_dims, type, offset. */
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;
    /** Smallest possible KV record: key length, one key byte, type tag, one value byte. */
    private static final int MIN_KV_BYTES = 8 + 1 + 4 + 1;

    private final String name;
    private final Arena arena;
    private final MemorySegment segment;
    private final int version;
    private final long alignment;
    private final Map<String, GgufValue> metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final long dataOffset;

    private GgufFile(String name, Arena arena, MemorySegment segment, Parsed parsed) {
        this.name = name;
        this.arena = arena;
        this.segment = segment;
        this.version = parsed.version;
        this.alignment = parsed.alignment;
        this.metadata = Collections.unmodifiableMap(parsed.metadata);
        this.tensors = List.copyOf(parsed.tensors);
        Map<String, GgufTensorInfo> byName = new HashMap<>();
        for (GgufTensorInfo t : tensors) {
            byName.put(t.name(), t);
        }
        this.tensorsByName = byName;
        this.dataOffset = parsed.dataOffset;
    }

    /**
     * Maps and validates a GGUF file.
     *
     * @throws NoSuchFileException if it does not exist
     * @throws IOException if it is not a regular file or cannot be read
     * @throws GgufFormatException if it is not a valid GGUF file
     */
    public static GgufFile open(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "no such file");
        }
        if (!Files.isRegularFile(path)) {
            throw new IOException(path + ": not a regular file");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment segment = ch.size() == 0 ? MemorySegment.ofArray(new byte[0])
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufFile(path.toString(), arena, segment, parse(segment, path.toString()));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Validates a GGUF image held in memory (for tests and fuzzing); {@code name} is used in messages.
     * The segment must stay valid while the returned file is used.
     */
    public static GgufFile open(MemorySegment bytes, String name) throws GgufFormatException {
        return new GgufFile(name, null, bytes, parse(bytes, name));
    }

    private record Parsed(int version, long alignment, Map<String, GgufValue> metadata,
                          List<GgufTensorInfo> tensors, long dataOffset) {
    }

    private static Parsed parse(MemorySegment segment, String name) throws GgufFormatException {
        Cursor c = new Cursor(segment, name);
        int magic = c.u32("magic");
        if (magic != MAGIC) {
            throw c.error(0, "magic", String.format("not a GGUF file (first bytes %08x, expected 47475546 'GGUF')",
                    Integer.reverseBytes(magic)));
        }
        int version = c.u32("version");
        if (version != 0 && (version & 0xFFFF) == 0) {
            throw c.error(4, "version", String.format("0x%08x looks byte-swapped: big-endian GGUF files are not"
                    + " supported", version));
        }
        if (version < GgufLimits.MIN_VERSION || version > GgufLimits.VERSION) {
            throw c.error(4, "version", Integer.toUnsignedString(version) + " is not supported (expected "
                    + GgufLimits.MIN_VERSION + " or " + GgufLimits.VERSION + ")");
        }
        long nTensors = c.count("tensor_count", MIN_TENSOR_INFO_BYTES, Long.MAX_VALUE);
        long nKv = c.count("kv_count", MIN_KV_BYTES, Long.MAX_VALUE);

        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        Map<String, Long> keyOffsets = new HashMap<>();
        for (long i = 0; i < nKv; i++) {
            long at = c.pos;
            String key = c.string("metadata key #" + i, GgufLimits.MAX_KEY_BYTES);
            if (key.isEmpty()) {
                throw c.error(at, "metadata key #" + i, "empty key");
            }
            if (metadata.containsKey(key)) {
                throw c.error(at, "metadata key '" + key + "'", "duplicate key");
            }
            GgufValueType type = c.valueType("metadata '" + key + "' type");
            metadata.put(key, readValue(c, key, type));
            keyOffsets.put(key, at);
        }
        long alignment = checkMetadata(c, metadata, keyOffsets);

        List<GgufTensorInfo> tensors = new ArrayList<>();
        Map<String, Long> names = new HashMap<>();
        long expectedOffset = 0;
        long lastEnd = 0;
        for (long i = 0; i < nTensors; i++) {
            GgufTensorInfo t = readTensorInfo(c, i, names);
            long bytes = t.byteSize();
            if (t.offset() != expectedOffset) {
                throw c.error(c.pos - 8, "tensor '" + t.name() + "' offset", "is " + t.offset() + ", expected "
                        + expectedOffset + " (tensor data must be contiguous, in order, each padded to " + alignment + ")");
            }
            try {
                lastEnd = Math.addExact(expectedOffset, bytes);
                expectedOffset = Math.addExact(lastEnd, alignment - 1) & -alignment;
            } catch (ArithmeticException e) {
                throw c.error(c.pos - 8, "tensor '" + t.name() + "' offset", "data offsets overflow");
            }
            tensors.add(t);
        }
        long infosEnd = c.pos;
        long dataOffset = (infosEnd + alignment - 1) & -alignment;
        long unpaddedEnd;
        long paddedEnd;
        try {
            unpaddedEnd = tensors.isEmpty() ? infosEnd : Math.addExact(dataOffset, lastEnd);
            paddedEnd = Math.addExact(dataOffset, expectedOffset);
        } catch (ArithmeticException e) {
            throw c.error(infosEnd, "tensor data", "data section end overflows");
        }
        long size = segment.byteSize();
        if (size < unpaddedEnd) {
            String what = tensors.isEmpty() ? "tensor data" : "tensor '" + tensors.getLast().name() + "' data";
            throw c.error(size, what, "is not within the file bounds: needs " + unpaddedEnd + " bytes, file has "
                    + size + " (truncated?)");
        }
        if (size > paddedEnd) {
            throw c.error(paddedEnd, "end of file", (size - paddedEnd) + " trailing bytes after the padded end of"
                    + " the tensor data");
        }
        return new Parsed(version, alignment, metadata, tensors, dataOffset);
    }

    private static GgufValue readValue(Cursor c, String key, GgufValueType type) throws GgufFormatException {
        String field = "metadata '" + key + "' value";
        if (type != GgufValueType.ARRAY) {
            return c.scalar(field, type);
        }
        GgufValueType element = c.valueType("metadata '" + key + "' array element type");
        if (element == GgufValueType.ARRAY) {
            throw c.error(c.pos - 4, "metadata '" + key + "' array element type", "arrays of arrays are not supported");
        }
        int n = (int) c.count("metadata '" + key + "' array length", element.minSize(), GgufLimits.MAX_ARRAY_LENGTH);
        return c.array(field, element, n);
    }

    private static long checkMetadata(Cursor c, Map<String, GgufValue> metadata, Map<String, Long> keyOffsets)
            throws GgufFormatException {
        requireType(c, metadata, keyOffsets, GgufKeys.ARCHITECTURE, GgufValueType.STRING, null);
        requireType(c, metadata, keyOffsets, GgufKeys.TOKENIZER_TOKENS, GgufValueType.ARRAY, GgufValueType.STRING);
        requireType(c, metadata, keyOffsets, GgufKeys.TOKENIZER_MERGES, GgufValueType.ARRAY, GgufValueType.STRING);
        requireType(c, metadata, keyOffsets, GgufKeys.TOKENIZER_TOKEN_TYPE, GgufValueType.ARRAY, GgufValueType.INT32);
        requireType(c, metadata, keyOffsets, GgufKeys.TOKENIZER_SCORES, GgufValueType.ARRAY, GgufValueType.FLOAT32);
        GgufValue tokens = metadata.get(GgufKeys.TOKENIZER_TOKENS);
        for (String key : List.of(GgufKeys.TOKENIZER_TOKEN_TYPE, GgufKeys.TOKENIZER_SCORES)) {
            GgufValue v = metadata.get(key);
            int expected = tokens == null ? -1 : tokens.arrayLength();
            if (v != null && v.arrayLength() != expected) {
                throw c.error(keyOffsets.get(key), "metadata '" + key + "'", "has " + v.arrayLength() + " elements, "
                        + (tokens == null ? GgufKeys.TOKENIZER_TOKENS + " is missing" : "expected " + expected
                        + " (the length of " + GgufKeys.TOKENIZER_TOKENS + ")"));
            }
        }
        GgufValue a = metadata.get(GgufKeys.ALIGNMENT);
        if (a == null) {
            return GgufKeys.DEFAULT_ALIGNMENT;
        }
        requireType(c, metadata, keyOffsets, GgufKeys.ALIGNMENT, GgufValueType.UINT32, null);
        long alignment = a.asLong();
        if (alignment == 0 || Long.bitCount(alignment) != 1 || alignment > GgufLimits.MAX_ALIGNMENT) {
            throw c.error(keyOffsets.get(GgufKeys.ALIGNMENT), "metadata '" + GgufKeys.ALIGNMENT + "'", alignment
                    + " is not a power of two between 1 and " + GgufLimits.MAX_ALIGNMENT);
        }
        return alignment;
    }

    private static void requireType(Cursor c, Map<String, GgufValue> metadata, Map<String, Long> keyOffsets,
                                    String key, GgufValueType type, GgufValueType element) throws GgufFormatException {
        GgufValue v = metadata.get(key);
        if (v != null && (v.type() != type || v.elementType() != element)) {
            String expected = element == null ? type.toString() : "ARRAY[" + element + "]";
            throw c.error(keyOffsets.get(key), "metadata '" + key + "'", "has type " + v.typeName() + ", expected "
                    + expected);
        }
    }

    private static GgufTensorInfo readTensorInfo(Cursor c, long index, Map<String, Long> names)
            throws GgufFormatException {
        long at = c.pos;
        String field = "tensor #" + index;
        String name = c.string(field + " name", GgufLimits.MAX_TENSOR_NAME_BYTES);
        if (name.isEmpty()) {
            throw c.error(at, field + " name", "empty name");
        }
        field = "tensor '" + name + "'";
        if (names.putIfAbsent(name, at) != null) {
            throw c.error(at, field + " name", "duplicate tensor name (first at byte " + names.get(name) + ")");
        }
        int nDims = c.u32(field + " n_dims");
        if (Integer.compareUnsigned(nDims, GgufLimits.MAX_DIMS) > 0) {
            throw c.error(c.pos - 4, field + " n_dims", Integer.toUnsignedString(nDims) + " exceeds "
                    + GgufLimits.MAX_DIMS);
        }
        long[] ne = new long[nDims];
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            ne[d] = c.i64(field + " ne[" + d + "]");
            if (ne[d] < 0) {
                throw c.error(c.pos - 8, field + " ne[" + d + "]", "negative dimension");
            }
            try {
                elements = Math.multiplyExact(elements, ne[d]);
            } catch (ArithmeticException e) {
                throw c.error(c.pos - 8, field + " ne[" + d + "]", "element count overflows int64");
            }
        }
        int typeId = c.u32(field + " type");
        GgmlType type = GgmlType.find(typeId).orElseThrow(() -> c.error(c.pos - 4, "tensor '" + name + "' type",
                "unknown ggml type id " + Integer.toUnsignedString(typeId)));
        if (type.isBlockQuantized() && (nDims == 0 || ne[0] % type.blockSize() != 0)) {
            throw c.error(c.pos - 4, field + " type", "ne[0] = " + (nDims == 0 ? 1 : ne[0])
                    + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        try {
            type.byteSize(ne);
        } catch (IllegalArgumentException e) {
            throw c.error(c.pos - 4, field + " type", e.getMessage());
        }
        long offset = c.i64(field + " offset");
        return new GgufTensorInfo(name, type, ne, offset);
    }

    /** Bounds-checked little-endian reads over the mapped file; every failure is a GgufFormatException. */
    private static final class Cursor {
        private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        private final MemorySegment seg;
        private final String name;
        private long pos;

        Cursor(MemorySegment seg, String name) {
            this.seg = seg;
            this.name = name;
        }

        GgufFormatException error(long at, String field, String problem) {
            return new GgufFormatException(name, at, field, problem);
        }

        long remaining() {
            return seg.byteSize() - pos;
        }

        private void need(long n, String field) throws GgufFormatException {
            if (n > remaining()) {
                throw error(pos, field, "needs " + n + " bytes but the file ends after " + remaining() + " (truncated?)");
            }
        }

        int u32(String field) throws GgufFormatException {
            need(4, field);
            int v = seg.get(INT, pos);
            pos += 4;
            return v;
        }

        long i64(String field) throws GgufFormatException {
            need(8, field);
            long v = seg.get(LONG, pos);
            pos += 8;
            return v;
        }

        /** A u64 count of items of at least {@code minItemBytes} each, checked against the bytes left. */
        long count(String field, int minItemBytes, long max) throws GgufFormatException {
            long at = pos;
            long n = i64(field);
            if (n < 0 || n > max) {
                throw error(at, field, Long.toUnsignedString(n) + " is out of range (at most " + max + ")");
            }
            if (n > remaining() / minItemBytes) {
                throw error(at, field, n + " items of at least " + minItemBytes + " bytes cannot fit in the "
                        + remaining() + " bytes left");
            }
            return n;
        }

        GgufValueType valueType(String field) throws GgufFormatException {
            int tag = u32(field);
            return GgufValueType.find(tag).orElseThrow(() -> error(pos - 4, field, "unknown value type "
                    + Integer.toUnsignedString(tag)));
        }

        String string(String field, int maxBytes) throws GgufFormatException {
            long at = pos;
            long n = i64(field + " length");
            if (n < 0 || n > maxBytes) {
                throw error(at, field, "length " + Long.toUnsignedString(n) + " exceeds " + maxBytes + " bytes");
            }
            need(n, field);
            byte[] bytes = seg.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
            pos += n;
            return new String(bytes, StandardCharsets.UTF_8);
        }

        GgufValue scalar(String field, GgufValueType type) throws GgufFormatException {
            if (type == GgufValueType.STRING) {
                return GgufValue.ofString(string(field, GgufLimits.MAX_STRING_BYTES));
            }
            need(type.minSize(), field);
            long at = pos;
            pos += type.minSize();
            return switch (type) {
                case UINT8 -> GgufValue.ofInteger(type, seg.get(ValueLayout.JAVA_BYTE, at) & 0xFF);
                case INT8 -> GgufValue.ofInteger(type, seg.get(ValueLayout.JAVA_BYTE, at));
                case UINT16 -> GgufValue.ofInteger(type, seg.get(SHORT, at) & 0xFFFF);
                case INT16 -> GgufValue.ofInteger(type, seg.get(SHORT, at));
                case UINT32 -> GgufValue.ofInteger(type, seg.get(INT, at) & 0xFFFF_FFFFL);
                case INT32 -> GgufValue.ofInteger(type, seg.get(INT, at));
                case UINT64, INT64 -> GgufValue.ofInteger(type, seg.get(LONG, at));
                case FLOAT32 -> GgufValue.ofFloat32(seg.get(FLOAT, at));
                case FLOAT64 -> GgufValue.ofFloat64(seg.get(DOUBLE, at));
                case BOOL -> GgufValue.ofBool(seg.get(ValueLayout.JAVA_BYTE, at) != 0);
                case STRING, ARRAY -> throw new IllegalStateException(type + " is not a fixed-size scalar");
            };
        }

        GgufValue array(String field, GgufValueType element, int n) throws GgufFormatException {
            if (element == GgufValueType.STRING) {
                List<String> strings = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    strings.add(string(field + "[" + i + "]", GgufLimits.MAX_STRING_BYTES));
                }
                return GgufValue.ofArrayUnchecked(element, Collections.unmodifiableList(strings));
            }
            long bytes = (long) n * element.minSize();
            need(bytes, field);
            long at = pos;
            pos += bytes;
            Object storage = switch (element) {
                case UINT8, INT8 -> seg.asSlice(at, bytes).toArray(ValueLayout.JAVA_BYTE);
                case UINT16, INT16 -> copy(new short[n], SHORT, at);
                case UINT32, INT32 -> copy(new int[n], INT, at);
                case UINT64, INT64 -> copy(new long[n], LONG, at);
                case FLOAT32 -> copy(new float[n], FLOAT, at);
                case FLOAT64 -> copy(new double[n], DOUBLE, at);
                case BOOL -> {
                    boolean[] flags = new boolean[n];
                    for (int i = 0; i < n; i++) {
                        flags[i] = seg.get(ValueLayout.JAVA_BYTE, at + i) != 0;
                    }
                    yield flags;
                }
                case STRING, ARRAY -> throw new IllegalStateException(element + " is not a fixed-size element");
            };
            return GgufValue.ofArrayUnchecked(element, storage);
        }

        private <A> A copy(A dst, ValueLayout layout, long at) {
            MemorySegment.copy(seg, layout, at, dst, 0, java.lang.reflect.Array.getLength(dst));
            return dst;
        }
    }

    /** The file name or path, as used in messages. */
    public String name() {
        return name;
    }

    /** The GGUF version (2 or 3). */
    public int version() {
        return version;
    }

    /** The alignment of the tensor data: {@code general.alignment} or 32. */
    public long alignment() {
        return alignment;
    }

    /** Byte offset of the tensor-data section from the start of the file. */
    public long dataOffset() {
        return dataOffset;
    }

    /** Size of the file in bytes. */
    public long fileSize() {
        return segment.byteSize();
    }

    /** All metadata in file order (unmodifiable). */
    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    public Optional<GgufValue> find(String key) {
        return Optional.ofNullable(metadata.get(key));
    }

    /** @throws IllegalArgumentException if the key is missing or not a STRING */
    public String getString(String key) {
        return typed(key, GgufValueType.STRING).asString();
    }

    /** @throws IllegalArgumentException if the key is missing or not a UINT32 */
    public long getUInt32(String key) {
        return typed(key, GgufValueType.UINT32).asLong();
    }

    /** @throws IllegalArgumentException if the key is missing or not a FLOAT32 */
    public float getFloat32(String key) {
        return typed(key, GgufValueType.FLOAT32).asFloat32();
    }

    private GgufValue typed(String key, GgufValueType type) {
        GgufValue v = metadata.get(key);
        if (v == null) {
            throw new IllegalArgumentException(name + ": metadata key '" + key + "' is missing");
        }
        if (v.type() != type) {
            throw new IllegalArgumentException(name + ": metadata key '" + key + "' has type " + v.typeName()
                    + ", expected " + type);
        }
        return v;
    }

    /** {@code general.architecture}. @throws IllegalArgumentException if missing */
    public String architecture() {
        return getString(GgufKeys.ARCHITECTURE);
    }

    /** The tensor infos in file order. */
    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    public Optional<GgufTensorInfo> tensor(String tensorName) {
        return Optional.ofNullable(tensorsByName.get(tensorName));
    }

    /** The tensor's encoded bytes, a slice of the mapping valid until {@link #close()}. */
    public MemorySegment data(GgufTensorInfo t) {
        requireOwn(t);
        return segment.asSlice(dataOffset + t.offset(), t.byteSize());
    }

    /**
     * All elements of a tensor as floats, dequantized.
     *
     * @throws IllegalArgumentException if the type cannot be decoded or the tensor has more elements
     *     than a Java array holds (use {@link #floats} to stream it)
     */
    public float[] readFloats(GgufTensorInfo t) {
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(name + ": tensor '" + t.name() + "' has " + n
                    + " elements, too many for one array; stream it with floats()");
        }
        FloatSource source = floats(t);
        float[] out = new float[(int) n];
        source.read(0, out, out.length);
        return out;
    }

    /** The tensor's elements as a source that dequantizes on demand from the mapping. */
    public FloatSource floats(GgufTensorInfo t) {
        MemorySegment bytes = data(t);
        GgmlType type = t.type();
        if (!type.canEncode()) {
            throw new IllegalArgumentException(name + ": tensor '" + t.name() + "' has type " + type
                    + ", which cannot be decoded (supported: F32, F16, BF16, Q8_0, Q4_0)");
        }
        return (first, dst, count) -> TensorCodec.decode(type, bytes, first, dst, 0, count);
    }

    private void requireOwn(GgufTensorInfo t) {
        if (!t.equals(tensorsByName.get(t.name()))) {
            throw new IllegalArgumentException(name + ": tensor " + t + " is not from this file");
        }
    }

    /** SHA-256 (lower-case hex) of the tensor-data section: from {@link #dataOffset()} to the end of the file. */
    public String computeTensorDataSha256() {
        MessageDigest digest = Sha256.newDigest();
        long step = 1 << 26;
        for (long at = Math.min(dataOffset, fileSize()); at < fileSize(); at += step) {
            digest.update(segment.asSlice(at, Math.min(step, fileSize() - at)).asByteBuffer());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Unmaps the file; tensor data segments handed out become inaccessible. */
    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}

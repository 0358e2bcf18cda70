package dev.memdec.converter.gguf;

import dev.memdec.converter.quant.TensorCodec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes a GGUF v3 file the way llama.cpp b4916 loads it, in two passes like the reference writer:
 * first the metadata and tensor descriptors are collected (offsets are the running sum of sizes padded
 * to the alignment), then {@link #write} streams header, metadata, tensor infos, padding and each
 * tensor's bytes followed by zero padding (after the last tensor too).
 *
 * <p>Tensors given as a {@link FloatSource} are encoded chunk by chunk, so a 1.6 GB F32 model never
 * sits in memory. The output goes to a temporary file in the target directory, is fsynced and then
 * atomically renamed over the target, so no reader ever sees a partial file.
 *
 * <p>Metadata keys are written in insertion order with exactly the type they were put with; duplicate
 * keys and tensor names are rejected when added. Not thread-safe.
 */
public final class GgufWriter {

    /** Elements encoded per chunk: a multiple of every block size, 4 MiB of floats. */
    private static final int CHUNK_ELEMENTS = 1 << 20;
    private static final int MAGIC = 0x46554747;
    private static final String SHA256_PLACEHOLDER = "0".repeat(64);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();
    private boolean tensorDataSha256;

    private record PendingTensor(String name, GgmlType type, long[] ne, long bytes, FloatSource source,
                                 MemorySegment encoded) {
    }

    /** A writer with the default alignment of 32 (put {@code general.alignment} to change it). */
    public GgufWriter() {
    }

    public GgufWriter putString(String key, String value) {
        return putValue(key, GgufValue.ofString(value));
    }

    public GgufWriter putUInt32(String key, long value) {
        return putValue(key, GgufValue.ofUInt32(value));
    }

    public GgufWriter putInt32(String key, int value) {
        return putValue(key, GgufValue.ofInt32(value));
    }

    public GgufWriter putUInt64(String key, long value) {
        return putValue(key, GgufValue.ofUInt64(value));
    }

    public GgufWriter putFloat32(String key, float value) {
        return putValue(key, GgufValue.ofFloat32(value));
    }

    public GgufWriter putFloat64(String key, double value) {
        return putValue(key, GgufValue.ofFloat64(value));
    }

    public GgufWriter putBool(String key, boolean value) {
        return putValue(key, GgufValue.ofBool(value));
    }

    public GgufWriter putStringArray(String key, List<String> value) {
        return putValue(key, GgufValue.ofStringArray(value));
    }

    public GgufWriter putInt32Array(String key, int[] value) {
        return putValue(key, GgufValue.ofInt32Array(value));
    }

    public GgufWriter putFloat32Array(String key, float[] value) {
        return putValue(key, GgufValue.ofFloat32Array(value));
    }

    /**
     * Puts the string keys a caller adds to a model file ({@code general.name}, {@code memdec.*}), refusing any that
     * would redefine what the model's writer owns: {@code <architecture>.*}, {@code tokenizer.*}, the architecture,
     * file type, quantization version and tokenizer hash.
     */
    public GgufWriter putExtraStrings(String architecture, Map<String, String> extra) {
        for (Map.Entry<String, String> e : extra.entrySet()) {
            String key = e.getKey();
            if (key.startsWith(architecture + ".") || key.startsWith("tokenizer.") || key.equals(GgufKeys.ARCHITECTURE)
                    || key.equals(GgufKeys.FILE_TYPE) || key.equals(GgufKeys.QUANTIZATION_VERSION)
                    || key.equals(GgufKeys.TOKENIZER_SHA256)) {
                throw new IllegalArgumentException("extra metadata key '" + key + "' would redefine a key the exporter owns");
            }
            putString(key, e.getValue());
        }
        return this;
    }

    /**
     * Adds a metadata value of any type, e.g. one copied from a {@link GgufFile}.
     *
     * @throws IllegalArgumentException for an empty, too long or duplicate key, a string or array over
     *     {@link GgufLimits}, or a {@code general.alignment} that is not a UINT32 power of two
     */
    public GgufWriter putValue(String key, GgufValue value) {
        Objects.requireNonNull(value, "value");
        int keyBytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (keyBytes == 0 || keyBytes > GgufLimits.MAX_KEY_BYTES) {
            throw new IllegalArgumentException("metadata key '" + key + "' must have 1.." + GgufLimits.MAX_KEY_BYTES
                    + " UTF-8 bytes");
        }
        if (metadata.containsKey(key)) {
            throw new IllegalArgumentException("duplicate metadata key '" + key + "'");
        }
        if (key.equals(GgufKeys.ALIGNMENT)) {
            checkAlignment(value);
        }
        checkSize(key, value);
        metadata.put(key, value);
        return this;
    }

    private static void checkAlignment(GgufValue value) {
        if (value.type() != GgufValueType.UINT32) {
            throw new IllegalArgumentException(GgufKeys.ALIGNMENT + " must be UINT32, not " + value.typeName());
        }
        long a = value.asLong();
        if (a == 0 || Long.bitCount(a) != 1 || a > GgufLimits.MAX_ALIGNMENT) {
            throw new IllegalArgumentException(GgufKeys.ALIGNMENT + " must be a power of two up to "
                    + GgufLimits.MAX_ALIGNMENT + ", not " + a);
        }
    }

    private static void checkSize(String key, GgufValue value) {
        if (value.isArray() && value.arrayLength() > GgufLimits.MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException("metadata key '" + key + "': array of " + value.arrayLength()
                    + " elements exceeds " + GgufLimits.MAX_ARRAY_LENGTH);
        }
        List<String> strings = value.type() == GgufValueType.STRING ? List.of(value.asString())
                : value.isArray() && value.elementType() == GgufValueType.STRING ? value.asStringList() : List.of();
        for (String s : strings) {
            if (s.length() > GgufLimits.MAX_STRING_BYTES / 3
                    && s.getBytes(StandardCharsets.UTF_8).length > GgufLimits.MAX_STRING_BYTES) {
                throw new IllegalArgumentException("metadata key '" + key + "': string longer than "
                        + GgufLimits.MAX_STRING_BYTES + " bytes");
            }
        }
    }

    /**
     * Also writes {@link GgufKeys#TENSOR_DATA_SHA256}: the SHA-256 of the whole tensor-data section,
     * computed while the data streams out and patched into a reserved placeholder before the rename.
     * The key takes its place in the metadata order at the time of this call.
     */
    public GgufWriter withTensorDataSha256() {
        putString(GgufKeys.TENSOR_DATA_SHA256, SHA256_PLACEHOLDER);
        tensorDataSha256 = true;
        return this;
    }

    /**
     * Adds a tensor whose elements (GGUF order, {@code ne[0]} fastest) are read from {@code values} and
     * encoded as {@code storeAs} while writing.
     *
     * @throws IllegalArgumentException for a type that cannot be encoded, a bad or duplicate name, or bad
     *     dimensions (see {@link #addEncodedTensor})
     */
    public GgufWriter addTensor(String name, GgmlType storeAs, long[] ne, FloatSource values) {
        Objects.requireNonNull(values, "values");
        if (!storeAs.canEncode()) {
            throw new IllegalArgumentException("tensor '" + name + "': cannot encode " + storeAs
                    + " (supported: F32, F16, BF16, Q8_0, Q4_0)");
        }
        return add(name, storeAs, ne, values, null);
    }

    /**
     * Adds a tensor whose bytes are already encoded in {@code type}; they are copied while writing.
     *
     * @throws IllegalArgumentException if the name is empty, {@value GgufLimits#MAX_TENSOR_NAME_BYTES}+1
     *     bytes or longer, or already used; if there are not 1 to 4 dimensions, one is negative or
     *     {@code ne[0]} is not a multiple of the block size; or if {@code bytes} has the wrong size
     */
    public GgufWriter addEncodedTensor(String name, GgmlType type, long[] ne, MemorySegment bytes) {
        return add(name, type, ne, null, Objects.requireNonNull(bytes, "bytes"));
    }

    private GgufWriter add(String name, GgmlType type, long[] ne, FloatSource source, MemorySegment encoded) {
        Objects.requireNonNull(type, "type");
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes == 0 || nameBytes > GgufLimits.MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' must have 1.."
                    + GgufLimits.MAX_TENSOR_NAME_BYTES + " UTF-8 bytes (llama.cpp GGML_MAX_NAME), has " + nameBytes);
        }
        if (tensorNames.contains(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        if (ne.length == 0 || ne.length > GgufLimits.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "': needs 1.." + GgufLimits.MAX_DIMS
                    + " dimensions, has " + ne.length);
        }
        long bytes;
        try {
            bytes = type.byteSize(ne);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage(), e);
        }
        if (encoded != null && encoded.byteSize() != bytes) {
            throw new IllegalArgumentException("tensor '" + name + "': " + encoded.byteSize() + " bytes given, "
                    + type + " " + Arrays.toString(ne) + " needs " + bytes);
        }
        tensorNames.add(name);
        tensors.add(new PendingTensor(name, type, ne.clone(), bytes, source, encoded));
        return this;
    }

    /** The tensor infos as they will be written, with their offsets into the data section. */
    public List<GgufTensorInfo> tensorInfos() {
        long alignment = alignment();
        List<GgufTensorInfo> infos = new ArrayList<>(tensors.size());
        long offset = 0;
        for (PendingTensor t : tensors) {
            infos.add(new GgufTensorInfo(t.name, t.type, t.ne, offset));
            offset = Math.addExact(offset, padded(t.bytes, alignment));
        }
        return infos;
    }

    private long alignment() {
        GgufValue a = metadata.get(GgufKeys.ALIGNMENT);
        return a == null ? GgufKeys.DEFAULT_ALIGNMENT : a.asLong();
    }

    private static long padded(long n, long alignment) {
        return Math.addExact(n, alignment - 1) & -alignment;
    }

    /**
     * Writes the file. The target is replaced atomically; on any failure it is left as it was and the
     * temporary file is deleted. Sources are read in element order, once per call.
     */
    public void write(Path out) throws IOException {
        Path target = out.toAbsolutePath();
        Path dir = target.getParent();
        // Not Files.createTempFile: that makes the file owner-only, and the rename would keep that mode.
        Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
        FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
        boolean done = false;
        try {
            try (FileChannel ch = channel) {
                writeTo(ch);
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private void writeTo(FileChannel ch) throws IOException {
        long alignment = alignment();
        List<GgufTensorInfo> infos = tensorInfos();
        LittleEndianBuffer header = new LittleEndianBuffer();
        header.u32(MAGIC);
        header.u32(GgufLimits.VERSION);
        header.u64(tensors.size());
        header.u64(metadata.size());
        long shaValueAt = -1;
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            header.string(e.getKey());
            header.u32(e.getValue().type().tag());
            if (tensorDataSha256 && e.getKey().equals(GgufKeys.TENSOR_DATA_SHA256)) {
                shaValueAt = header.size() + 8L;
            }
            writeValue(header, e.getValue());
        }
        for (GgufTensorInfo t : infos) {
            header.string(t.name());
            header.u32(t.nDims());
            for (long n : t.ne()) {
                header.u64(n);
            }
            header.u32(t.type().id());
            header.u64(t.offset());
        }
        long dataStart = padded(header.size(), alignment);
        header.zeros((int) (dataStart - header.size()));
        writeFully(ch, ByteBuffer.wrap(header.array(), 0, header.size()), null);

        MessageDigest digest = tensorDataSha256 ? Sha256.newDigest() : null;
        byte[] zeros = new byte[(int) alignment];
        ChunkBuffers buffers = new ChunkBuffers();
        for (int i = 0; i < tensors.size(); i++) {
            PendingTensor t = tensors.get(i);
            long expected = dataStart + infos.get(i).offset();
            if (ch.position() != expected) {
                throw new IllegalStateException("tensor '" + t.name + "' starts at byte " + ch.position()
                        + ", its info says " + expected);
            }
            if (t.encoded != null) {
                writeSegment(ch, t.encoded, digest);
            } else {
                writeEncoded(ch, t, buffers, digest);
            }
            int pad = (int) (padded(t.bytes, alignment) - t.bytes);
            writeFully(ch, ByteBuffer.wrap(zeros, 0, pad), digest);
        }
        if (digest != null) {
            byte[] hex = HexFormat.of().formatHex(digest.digest()).getBytes(StandardCharsets.US_ASCII);
            ByteBuffer patch = ByteBuffer.wrap(hex);
            while (patch.hasRemaining()) {
                ch.write(patch, shaValueAt + patch.position());
            }
        }
    }

    /** Reusable per-write buffers for encoding; sized by the largest chunk seen. */
    private static final class ChunkBuffers {
        float[] floats = new float[0];
        byte[] bytes = new byte[0];
    }

    private static void writeEncoded(FileChannel ch, PendingTensor t, ChunkBuffers buffers, MessageDigest digest)
            throws IOException {
        long count = t.bytes / t.type.typeSize() * t.type.blockSize();
        int chunk = (int) Math.min(count, CHUNK_ELEMENTS);
        if (buffers.floats.length < chunk) {
            buffers.floats = new float[chunk];
            buffers.bytes = new byte[chunk * 4];
        }
        MemorySegment bytes = MemorySegment.ofArray(buffers.bytes);
        for (long first = 0; first < count; first += chunk) {
            int n = (int) Math.min(chunk, count - first);
            t.source.read(first, buffers.floats, n);
            TensorCodec.encode(t.type, buffers.floats, 0, n, bytes, 0);
            writeFully(ch, ByteBuffer.wrap(buffers.bytes, 0, (int) TensorCodec.encodedSize(t.type, n)), digest);
        }
    }

    private static void writeSegment(FileChannel ch, MemorySegment segment, MessageDigest digest) throws IOException {
        long step = 1 << 26;
        for (long at = 0; at < segment.byteSize(); at += step) {
            writeFully(ch, segment.asSlice(at, Math.min(step, segment.byteSize() - at)).asByteBuffer(), digest);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf, MessageDigest digest) throws IOException {
        if (digest != null) {
            digest.update(buf.duplicate());
        }
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    private static void writeValue(LittleEndianBuffer out, GgufValue v) {
        if (v.isArray()) {
            out.u32(v.elementType().tag());
            out.u64(v.arrayLength());
            Object storage = v.storage();
            if (storage instanceof List<?> strings) {
                for (Object s : strings) {
                    out.string((String) s);
                }
            } else {
                for (int i = 0; i < Array.getLength(storage); i++) {
                    writeScalar(out, v.elementType(), Array.get(storage, i));
                }
            }
        } else {
            writeScalar(out, v.type(), v.storage());
        }
    }

    private static void writeScalar(LittleEndianBuffer out, GgufValueType type, Object v) {
        switch (type) {
            case UINT8, INT8 -> out.u8(((Number) v).intValue());
            case UINT16, INT16 -> out.u16(((Number) v).intValue());
            case UINT32, INT32 -> out.u32(((Number) v).intValue());
            case UINT64, INT64 -> out.u64(((Number) v).longValue());
            case FLOAT32 -> out.u32(Float.floatToRawIntBits((Float) v));
            case FLOAT64 -> out.u64(Double.doubleToRawLongBits((Double) v));
            case BOOL -> out.u8((Boolean) v ? 1 : 0);
            case STRING -> out.string((String) v);
            case ARRAY -> throw new IllegalArgumentException("GGUF arrays of arrays are not supported");
        }
    }
}

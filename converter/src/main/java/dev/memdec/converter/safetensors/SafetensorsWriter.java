package dev.memdec.converter.safetensors;

import com.google.gson.Gson;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file from float tensors stored as F32, F16 or BF16: used to build synthetic HF
 * checkpoints for tests and benchmarks. Tensors are written in insertion order, contiguous, with the
 * header padded by spaces so the buffer starts 8-byte aligned (as the reference writer does).
 */
public final class SafetensorsWriter {

    /** Produces the tensor's elements in row-major order, {@code count} at a time starting at {@code first}. */
    @FunctionalInterface
    public interface Elements {
        void fill(long first, float[] dst, int count);
    }

    private record Pending(String name, SafetensorsDtype dtype, long[] shape, Elements values) {
        long elementCount() {
            return Arrays.stream(shape).reduce(1, Math::multiplyExact);
        }
    }

    private final List<Pending> tensors = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>(Map.of("format", "pt"));

    public SafetensorsWriter add(String name, SafetensorsDtype dtype, long[] shape, Elements values) {
        if (!dtype.isConvertible()) {
            throw new IllegalArgumentException("tensor '" + name + "': cannot write dtype " + dtype + ", expected F32, F16 or BF16");
        }
        tensors.add(new Pending(name, dtype, shape.clone(), values));
        return this;
    }

    public SafetensorsWriter add(String name, long[] shape, float[] values) {
        return add(name, SafetensorsDtype.F32, shape, (first, dst, count) -> System.arraycopy(values, (int) first, dst, 0, count));
    }

    /** Adds (or replaces) a {@code __metadata__} entry. */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Writes the file via a temporary sibling and an atomic rename. */
    public void write(Path out) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", metadata);
        long offset = 0;
        for (Pending t : tensors) {
            long bytes = Math.multiplyExact(t.elementCount(), t.dtype().byteSize());
            header.put(t.name(), Map.of("dtype", t.dtype().name(), "shape", t.shape(), "data_offsets", new long[] {offset, offset + bytes}));
            offset += bytes;
        }
        byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');

        Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), out.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream os = Channels.newOutputStream(ch)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
                os.write(len.array());
                os.write(headerBytes);
                float[] chunk = new float[1 << 16];
                ByteBuffer bytes = ByteBuffer.allocate(chunk.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (Pending t : tensors) {
                    long n = t.elementCount();
                    for (long first = 0; first < n; first += chunk.length) {
                        int count = (int) Math.min(chunk.length, n - first);
                        t.values().fill(first, chunk, count);
                        bytes.clear();
                        for (int i = 0; i < count; i++) {
                            switch (t.dtype()) {
                                case F32 -> bytes.putFloat(chunk[i]);
                                case F16 -> bytes.putShort(Float.floatToFloat16(chunk[i]));
                                default -> bytes.putShort(toBf16(chunk[i]));
                            }
                        }
                        os.write(bytes.array(), 0, bytes.position());
                    }
                }
                os.flush();
                ch.force(true);
            }
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Round-to-nearest-even f32 to bf16, as PyTorch does. */
    private static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}

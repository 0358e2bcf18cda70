package dev.memdec.converter.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFileTest {

    @TempDir
    Path dir;

    /** A raw file: u64 header length, header bytes, then {@code dataBytes} bytes of the given value pattern. */
    private Path raw(String name, byte[] header, int dataBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        for (int i = 0; i < dataBytes; i++) {
            b.put((byte) i);
        }
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    private Path raw(String header, int dataBytes) throws IOException {
        return raw("x.safetensors", header.getBytes(StandardCharsets.UTF_8), dataBytes);
    }

    private String failure(Path p) {
        return assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(p).close()).getMessage();
    }

    @Test
    void writerOutputRoundTripsAllFloatDtypes() throws IOException {
        float[] values = {1.0f, -2.5f, 0.1f, 3.0e-3f, 65504f, -0.0f};
        Path p = dir.resolve("m.safetensors");
        new SafetensorsWriter()
                .add("a", SafetensorsDtype.F32, new long[] {2, 3}, (f, d, n) -> System.arraycopy(values, (int) f, d, 0, n))
                .add("b", SafetensorsDtype.F16, new long[] {6}, (f, d, n) -> System.arraycopy(values, (int) f, d, 0, n))
                .add("c", SafetensorsDtype.BF16, new long[] {3, 2}, (f, d, n) -> System.arraycopy(values, (int) f, d, 0, n))
                .write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals("pt", f.metadata().get("format"));
            assertArrayEquals(values, f.tensor("a").orElseThrow().toFloatArray());
            assertArrayEquals(new long[] {2, 3}, f.tensor("a").orElseThrow().shape());
            float[] half = f.tensor("b").orElseThrow().toFloatArray();
            float[] bf = f.tensor("c").orElseThrow().toFloatArray();
            for (int i = 0; i < values.length; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(values[i])), half[i]);
                assertEquals(values[i], bf[i], Math.abs(values[i]) / 128);
            }
            assertEquals(SafetensorsDtype.BF16, f.tensor("c").orElseThrow().dtype());
        }
    }

    @Test
    void mapsFilesLargerThan2GiB() throws IOException {
        long elements = 600_000_000L; // 2.4 GB of F32: past every int offset
        byte[] header = ("{\"big\":{\"dtype\":\"F32\",\"shape\":[" + elements + "],\"data_offsets\":[0," + 4 * elements + "]}}")
                .getBytes(StandardCharsets.UTF_8);
        Path p = dir.resolve("big.safetensors");
        long dataStart = 8 + header.length;
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(dataStart + 4 * elements); // sparse: the zeros take no disk space
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            f.write(header);
            f.seek(dataStart + 4 * (elements - 2));
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2.25f).array());
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            SafetensorsTensor t = f.tensor("big").orElseThrow();
            assertEquals(elements, t.elementCount());
            assertEquals(-2.25f, t.get(elements - 1));
            float[] tail = new float[3];
            t.read(elements - 3, tail, 0, 3);
            assertArrayEquals(new float[] {0f, 1.5f, -2.25f}, tail);
        }
    }

    @Test
    void acceptsEmptyTensorsAndScalars() throws IOException {
        Path p = raw("{\"e\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[0,0]},"
                + "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(0, f.tensor("e").orElseThrow().elementCount());
            assertEquals(1, f.tensor("s").orElseThrow().elementCount());
        }
    }

    @Test
    void rejectsFileShorterThanHeaderLength() throws IOException {
        Path p = dir.resolve("tiny.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        assertTrue(failure(p).contains("too small"));
    }

    @Test
    void rejectsHugeHeaderLength() throws IOException {
        Path p = dir.resolve("huge.safetensors");
        Files.write(p, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(100_000_001L).array());
        String m = failure(p);
        assertTrue(m.contains("huge.safetensors") && m.contains("exceeds the limit"), m);
    }

    @Test
    void rejectsHeaderRunningPastTheFile() throws IOException {
        Path p = dir.resolve("cut.safetensors");
        Files.write(p, ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(500).array());
        assertTrue(failure(p).contains("runs past the end"));
    }

    @Test
    void rejectsNonUtf8Header() throws IOException {
        Path p = raw("bad.safetensors", new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}, 0);
        assertTrue(failure(p).contains("not valid UTF-8"));
    }

    @Test
    void rejectsInvalidJson() throws IOException {
        assertTrue(failure(raw("{\"a\":", 0)).contains("JSON"));
        assertTrue(failure(raw("[1,2]", 0)).contains("JSON"));
    }

    @Test
    void rejectsDuplicateKeys() throws IOException {
        String t = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        assertTrue(failure(raw("{\"a\":" + t + ",\"a\":" + t + "}", 4)).contains("duplicate header key 'a'"));
    }

    @Test
    void rejectsUnknownDtypeNamingTheTensor() throws IOException {
        String m = failure(raw("{\"w\":{\"dtype\":\"F12\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4));
        assertTrue(m.contains("tensor 'w'") && m.contains("unknown dtype 'F12'"), m);
    }

    @Test
    void rejectsShapeThatDisagreesWithOffsets() throws IOException {
        String m = failure(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20));
        assertTrue(m.contains("tensor 'w'") && m.contains("needs 24 bytes") && m.contains("span 20"), m);
    }

    @Test
    void rejectsHoleBetweenTensors() throws IOException {
        String m = failure(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12));
        assertTrue(m.contains("tensor 'b'") && m.contains("hole"), m);
    }

    @Test
    void rejectsOverlappingTensors() throws IOException {
        String m = failure(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8));
        assertTrue(m.contains("tensor 'b'") && m.contains("overlapping"), m);
    }

    @Test
    void rejectsTrailingBytesAfterLastTensor() throws IOException {
        String m = failure(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 6));
        assertTrue(m.contains("trailing bytes"), m);
    }

    @Test
    void rejectsTruncatedData() throws IOException {
        String m = failure(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 10));
        assertTrue(m.contains("tensor 'a'") && m.contains("truncated"), m);
    }

    @Test
    void rejectsOverflowingShape() throws IOException {
        String m = failure(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}", 4));
        assertTrue(m.contains("tensor 'a'") && m.contains("overflows"), m);
    }

    @Test
    void rejectsNegativeDimsAndMalformedOffsets() throws IOException {
        assertTrue(failure(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4)).contains("negative"));
        assertTrue(failure(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4)).contains("[begin, end]"));
        assertTrue(failure(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4)).contains("needs dtype, shape and data_offsets"));
    }
}

package dev.memdec.converter.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader's validation, one rule at a time, on the golden file of gguf-spec §1.7 and hand-built headers. */
class GgufFileTest {

    // byte offsets of fields in the golden file
    private static final int VERSION = 4;
    private static final int TENSOR_COUNT = 8;
    private static final int KV_COUNT = 16;
    private static final int KEY1_LENGTH = 24;
    private static final int KV1_STRING_LENGTH = 56;
    private static final int KV2_TYPE = 92;
    private static final int A_NAME_LENGTH = 100;
    private static final int A_NDIMS = 109;
    private static final int A_NE0 = 113;
    private static final int A_TYPE = 121;
    private static final int BB_NE0 = 147;
    private static final int BB_NE1 = 155;
    private static final int BB_OFFSET = 167;

    private static byte[] golden;

    @TempDir
    static Path dir;

    @BeforeAll
    static void writeGolden() throws IOException {
        Path p = dir.resolve("golden.gguf");
        GgufWriterTest.goldenWriter().write(p);
        golden = Files.readAllBytes(p);
    }

    private static byte[] patched(Consumer<ByteBuffer> edit) {
        byte[] copy = golden.clone();
        edit.accept(ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN));
        return copy;
    }

    private static GgufFile parse(byte[] bytes) throws GgufFormatException {
        return GgufFile.open(MemorySegment.ofArray(bytes), "test.gguf");
    }

    private static GgufFormatException rejects(byte[] bytes, String fragment) {
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> parse(bytes));
        assertTrue(e.getMessage().contains(fragment), () -> "message '" + e.getMessage() + "' lacks '" + fragment + "'");
        assertTrue(e.getMessage().startsWith("test.gguf: at byte "), e.getMessage());
        return e;
    }

    @Test
    void parsesTheGoldenFile() throws IOException {
        try (GgufFile f = parse(golden)) {
            assertEquals(3, f.version());
            assertEquals(192, f.dataOffset());
            assertEquals(List.of("a", "bb"), f.tensors().stream().map(GgufTensorInfo::name).toList());
            GgufTensorInfo bb = f.tensor("bb").orElseThrow();
            assertArrayEquals(new long[] {3, 2}, bb.ne());
            assertEquals(32, bb.offset());
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, f.readFloats(bb));
            assertEquals(1, f.getUInt32("gpt2.block_count"));
        }
    }

    @Test
    void openMapsFilesAndRejectsMissingFilesAndDirectories() throws IOException {
        Path p = dir.resolve("mapped.gguf");
        Files.write(p, golden);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(p.toString(), f.name());
            assertArrayEquals(new float[] {1, 2}, f.readFloats(f.tensor("a").orElseThrow()));
        }
        assertThrows(NoSuchFileException.class, () -> GgufFile.open(dir.resolve("missing.gguf")));
        IOException e = assertThrows(IOException.class, () -> GgufFile.open(dir));
        assertTrue(e.getMessage().contains("not a regular file"));
        Path empty = Files.write(dir.resolve("empty.gguf"), new byte[0]);
        assertThrows(GgufFormatException.class, () -> GgufFile.open(empty));
    }

    @Test
    void mapsFilesLargerThanTwoGigabytes() throws IOException {
        long rows = 9 * 1024;
        long cols = 64 * 1024; // 603,979,776 F32 elements: 2.25 GiB, written as a sparse file
        LittleEndianBuffer h = header(1, 0);
        h.string("big");
        h.u32(2);
        h.u64(cols);
        h.u64(rows);
        h.u32(GgmlType.F32.id());
        h.u64(0);
        h.zeros(32 - h.size() % 32);
        Path p = dir.resolve("big.gguf");
        long dataStart = h.size();
        long end = dataStart + rows * cols * 4;
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            raf.write(h.array(), 0, h.size());
            raf.setLength(end);
            raf.seek(end - 4);
            raf.writeInt(Integer.reverseBytes(Float.floatToIntBits(42.5f)));
        }
        try (GgufFile f = GgufFile.open(p)) {
            GgufTensorInfo t = f.tensor("big").orElseThrow();
            assertEquals(rows * cols * 4, f.data(t).byteSize());
            float[] last = new float[2];
            f.floats(t).read(rows * cols - 2, last, 2);
            assertArrayEquals(new float[] {0f, 42.5f}, last);
        } finally {
            Files.delete(p);
        }
    }

    @Test
    void sizesButDoesNotDecodeOtherTypes() throws IOException {
        LittleEndianBuffer h = header(1, 0);
        h.string("k");
        h.u32(1);
        h.u64(512);
        h.u32(GgmlType.Q4_K.id());
        h.u64(0);
        h.zeros(32 - h.size() % 32 + 2 * 144);
        try (GgufFile f = parse(bytes(h))) {
            GgufTensorInfo t = f.tensor("k").orElseThrow();
            assertEquals(288, f.data(t).byteSize());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.readFloats(t));
            assertTrue(e.getMessage().startsWith("test.gguf: tensor 'k' has type Q4_K"), e.getMessage());
        }
    }

    @Test
    void rejectsBadMagicAndVersions() throws GgufFormatException {
        rejects("PK\3\4 not gguf at all".getBytes(), "not a GGUF file");
        rejects(new byte[3], "magic");
        for (int v : new int[] {0, 1, 4, -1}) {
            rejects(patched(b -> b.putInt(VERSION, v)), "version");
        }
        rejects(patched(b -> b.putInt(VERSION, 0x03000000)), "byte-swapped");
        assertEquals(2, parse(patched(b -> b.putInt(VERSION, 2))).version());
    }

    @Test
    void rejectsCountsThatCannotFit() {
        rejects(patched(b -> b.putLong(TENSOR_COUNT, -1)), "tensor_count");
        rejects(patched(b -> b.putLong(TENSOR_COUNT, 1L << 40)), "cannot fit");
        rejects(patched(b -> b.putLong(KV_COUNT, Long.MAX_VALUE)), "kv_count");
        rejects(patched(b -> b.putLong(KEY1_LENGTH, 1L << 40)), "exceeds");
        rejects(patched(b -> b.putLong(KV1_STRING_LENGTH, 1000)), "truncated");
        rejects(patched(b -> b.putLong(KV1_STRING_LENGTH, -5)), "length");
        rejects(patched(b -> b.putLong(KEY1_LENGTH, 0)), "empty key");
    }

    @Test
    void rejectsUnknownTypesAndNestedArrays() {
        rejects(patched(b -> b.putInt(KV2_TYPE, 13)), "unknown value type 13");
        // array of arrays
        LittleEndianBuffer h = header(0, 1);
        h.string("nested");
        h.u32(GgufValueType.ARRAY.tag());
        h.u32(GgufValueType.ARRAY.tag());
        h.u64(1);
        rejects(bytes(h), "arrays of arrays");
        // an array count that promises more elements than bytes remain
        LittleEndianBuffer huge = header(0, 1);
        huge.string("ints");
        huge.u32(GgufValueType.ARRAY.tag());
        huge.u32(GgufValueType.INT32.tag());
        huge.u64(1 << 20);
        rejects(bytes(huge), "cannot fit");
        LittleEndianBuffer tooLong = header(0, 1);
        tooLong.string("ints");
        tooLong.u32(GgufValueType.ARRAY.tag());
        tooLong.u32(GgufValueType.UINT8.tag());
        tooLong.u64(GgufLimits.MAX_ARRAY_LENGTH + 1L);
        rejects(bytes(tooLong), "out of range");
    }

    private static LittleEndianBuffer header(long tensors, long kvs) {
        LittleEndianBuffer h = new LittleEndianBuffer();
        h.u32(0x46554747);
        h.u32(3);
        h.u64(tensors);
        h.u64(kvs);
        return h;
    }

    private static byte[] bytes(LittleEndianBuffer h) {
        return Arrays.copyOf(h.array(), h.size());
    }

    @Test
    void rejectsDuplicateKeysAndBadAlignment() throws GgufFormatException {
        LittleEndianBuffer dup = header(0, 2);
        for (int i = 0; i < 2; i++) {
            dup.string("k");
            dup.u32(GgufValueType.UINT8.tag());
            dup.u8(i);
        }
        rejects(bytes(dup), "duplicate key");
        for (long alignment : new long[] {0, 48, 1L << 21}) {
            LittleEndianBuffer h = header(0, 1);
            h.string(GgufKeys.ALIGNMENT);
            h.u32(GgufValueType.UINT32.tag());
            h.u32((int) alignment);
            rejects(bytes(h), "power of two");
        }
        LittleEndianBuffer wrongType = header(0, 1);
        wrongType.string(GgufKeys.ALIGNMENT);
        wrongType.u32(GgufValueType.UINT64.tag());
        wrongType.u64(32);
        rejects(bytes(wrongType), "expected UINT32");
        LittleEndianBuffer ok = header(0, 1);
        ok.string(GgufKeys.ALIGNMENT);
        ok.u32(GgufValueType.UINT32.tag());
        ok.u32(8);
        assertEquals(8, parse(bytes(ok)).alignment());
        LittleEndianBuffer arch = header(0, 1);
        arch.string(GgufKeys.ARCHITECTURE);
        arch.u32(GgufValueType.UINT32.tag());
        arch.u32(2);
        rejects(bytes(arch), "'general.architecture': has type UINT32, expected STRING");
    }

    @Test
    void rejectsBadTensorInfos() {
        rejects(patched(b -> b.putInt(A_NDIMS, 5)), "n_dims");
        rejects(patched(b -> b.putLong(A_NE0, -2)), "negative dimension");
        rejects(patched(b -> b.putLong(BB_NE0, 1L << 40).putLong(BB_NE1, 1L << 40)), "overflows");
        rejects(patched(b -> b.putInt(A_TYPE, 4)), "unknown ggml type id 4");
        rejects(patched(b -> b.putInt(A_TYPE, -1)), "unknown ggml type id");
        rejects(patched(b -> b.putInt(A_TYPE, GgmlType.Q8_0.id())), "block size");
        rejects(patched(b -> b.putLong(A_NAME_LENGTH, 64)), "exceeds 63");
        rejects(patched(b -> b.putLong(BB_OFFSET, 8)), "is 8, expected 32");
        rejects(patched(b -> b.putLong(BB_OFFSET, 64)), "expected 32");
        LittleEndianBuffer two = header(2, 0);
        for (int i = 0; i < 2; i++) {
            two.string("x");
            two.u32(1);
            two.u64(8);
            two.u32(0);
            two.u64(i * 32L);
        }
        two.zeros(64 - two.size() % 64 + 64);
        rejects(bytes(two), "duplicate tensor name");
    }

    @Test
    void rejectsTruncatedDataAndTrailingBytesButAcceptsAMissingLastPad() throws IOException {
        rejects(Arrays.copyOf(golden, 200), "not within the file bounds");
        rejects(Arrays.copyOf(golden, 150), "truncated");
        rejects(Arrays.copyOf(golden, 257), "1 trailing bytes");
        try (GgufFile f = parse(Arrays.copyOf(golden, 248))) { // bb ends at 192 + 32 + 24
            assertEquals(2, f.tensors().size());
        }
        rejects(Arrays.copyOf(golden, 247), "not within the file bounds");
    }

    @Test
    void checksTokenizerArrayTypesAndLengths() throws IOException {
        Path ok = dir.resolve("tok.gguf");
        new GgufWriter().putStringArray(GgufKeys.TOKENIZER_TOKENS, List.of("a", "b"))
                .putInt32Array(GgufKeys.TOKENIZER_TOKEN_TYPE, new int[] {1, 1})
                .putFloat32Array(GgufKeys.TOKENIZER_SCORES, new float[] {0, 0})
                .putStringArray(GgufKeys.TOKENIZER_MERGES, List.of("a b")).write(ok);
        GgufFile.open(ok).close();

        Path wrongType = dir.resolve("tok-type.gguf");
        new GgufWriter().putStringArray(GgufKeys.TOKENIZER_TOKENS, List.of("a", "b"))
                .putFloat32Array(GgufKeys.TOKENIZER_TOKEN_TYPE, new float[] {1, 1}).write(wrongType);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(wrongType));
        assertTrue(e.getMessage().contains("expected ARRAY[INT32]"), e.getMessage());

        Path shortScores = dir.resolve("tok-len.gguf");
        new GgufWriter().putStringArray(GgufKeys.TOKENIZER_TOKENS, List.of("a", "b"))
                .putFloat32Array(GgufKeys.TOKENIZER_SCORES, new float[] {0}).write(shortScores);
        e = assertThrows(GgufFormatException.class, () -> GgufFile.open(shortScores));
        assertTrue(e.getMessage().contains("has 1 elements, expected 2"), e.getMessage());

        Path mergesNotStrings = dir.resolve("tok-merges.gguf");
        new GgufWriter().putInt32Array(GgufKeys.TOKENIZER_MERGES, new int[] {1}).write(mergesNotStrings);
        assertThrows(GgufFormatException.class, () -> GgufFile.open(mergesNotStrings));
    }

    @Test
    void typedGettersNameTheFileAndKey() throws GgufFormatException {
        try (GgufFile f = parse(golden)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.getString("gpt2.block_count"));
            assertEquals("test.gguf: metadata key 'gpt2.block_count' has type UINT32, expected STRING", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> f.getUInt32("missing"));
            assertTrue(e.getMessage().contains("'missing' is missing"));
        }
    }
}

package dev.memdec.converter.gguf;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutates small valid files in memory (truncations, bit flips, huge counts and lengths, wrong type tags,
 * lying dims and offsets, inserted and deleted bytes) and requires every result to either parse, with
 * all of its tensors readable, or be rejected with a {@link GgufFormatException}.
 */
class GgufFuzzTest {

    private static final int MUTATIONS_PER_SEED = 4_000;
    private static final long[] INTERESTING = {0, 1, 2, 3, 4, 5, 8, 9, 12, 13, 31, 32, 33, 63, 64, 255, 256,
            0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL, 1L << 32, 1L << 40, 1L << 62, Long.MAX_VALUE, -1, -8,
            Long.MIN_VALUE};

    @TempDir
    Path dir;

    private List<byte[]> seeds() throws IOException {
        float[] ramp = new float[64 * 4];
        for (int i = 0; i < ramp.length; i++) {
            ramp[i] = i * 0.01f - 1;
        }
        Path tokenizer = dir.resolve("tokenizer.gguf");
        new GgufWriter()
                .putString(GgufKeys.ARCHITECTURE, "gpt2")
                .putUInt32("gpt2.block_count", 2)
                .putFloat32("gpt2.attention.layer_norm_epsilon", 1e-5f)
                .putBool("tokenizer.ggml.add_bos_token", false)
                .putUInt32(GgufKeys.ALIGNMENT, 64)
                .putStringArray(GgufKeys.TOKENIZER_TOKENS, List.of("a", "b", "ab"))
                .putInt32Array(GgufKeys.TOKENIZER_TOKEN_TYPE, new int[] {1, 1, 1})
                .putFloat32Array(GgufKeys.TOKENIZER_SCORES, new float[] {0, 0, -1})
                .putStringArray(GgufKeys.TOKENIZER_MERGES, List.of("a b"))
                .putValue("u8s", GgufValue.ofArrayUnchecked(GgufValueType.UINT8, new byte[] {1, 2}))
                .putValue("i16s", GgufValue.ofArrayUnchecked(GgufValueType.INT16, new short[] {-1}))
                .putValue("u64s", GgufValue.ofArrayUnchecked(GgufValueType.UINT64, new long[] {-1L}))
                .putValue("f64s", GgufValue.ofArrayUnchecked(GgufValueType.FLOAT64, new double[] {0.5}))
                .putValue("bools", GgufValue.ofArrayUnchecked(GgufValueType.BOOL, new boolean[] {true}))
                .putFloat64("f64", 2.5)
                .putValue("i8", GgufValue.ofInteger(GgufValueType.INT8, -3))
                .withTensorDataSha256()
                .addTensor("token_embd.weight", GgmlType.Q8_0, new long[] {64, 4}, FloatSource.of(ramp))
                .addTensor("blk.0.ffn_up.weight", GgmlType.Q4_0, new long[] {64, 4}, FloatSource.of(ramp))
                .addTensor("blk.0.ffn_norm.bias", GgmlType.F16, new long[] {64}, FloatSource.of(ramp))
                .addTensor("output.weight", GgmlType.BF16, new long[] {32, 2, 2, 2}, FloatSource.of(ramp))
                .write(tokenizer);
        Path golden = dir.resolve("golden.gguf");
        GgufWriterTest.goldenWriter().write(golden);
        Path empty = dir.resolve("empty.gguf");
        new GgufWriter().putString(GgufKeys.ARCHITECTURE, "llama").write(empty);
        return List.of(Files.readAllBytes(golden), Files.readAllBytes(tokenizer), Files.readAllBytes(empty));
    }

    @Test
    void everyMutantParsesOrFailsWithAFormatException() throws IOException {
        Random random = new Random(20260323);
        int parsed = 0;
        int rejected = 0;
        for (byte[] seed : seeds()) {
            assertOutcome(seed, "seed");
            for (int i = 0; i < MUTATIONS_PER_SEED; i++) {
                List<String> log = new ArrayList<>();
                byte[] mutant = seed;
                int edits = 1 + random.nextInt(3);
                for (int e = 0; e < edits; e++) {
                    mutant = mutate(mutant, random, log);
                }
                if (assertOutcome(mutant, String.join(", ", log))) {
                    parsed++;
                } else {
                    rejected++;
                }
            }
        }
        assertTrue(parsed + rejected >= 12_000);
        // both outcomes must be common, or the mutations are too weak or too destructive to test anything
        assertTrue(rejected > 6_000, "rejected " + rejected);
        assertTrue(parsed > 100, "parsed " + parsed);
    }

    /** True if the bytes parse (and then every accessor works), false if rejected cleanly; fails otherwise. */
    private static boolean assertOutcome(byte[] bytes, String how) {
        try (GgufFile f = GgufFile.open(MemorySegment.ofArray(bytes), "mutant.gguf")) {
            for (GgufValue v : f.metadata().values()) {
                v.describe(4);
            }
            for (GgufTensorInfo t : f.tensors()) {
                if (t.type().canEncode()) {
                    f.readFloats(t);
                } else {
                    f.data(t);
                }
            }
            f.computeTensorDataSha256();
            return true;
        } catch (GgufFormatException e) {
            return false;
        } catch (Throwable t) {
            String head = HexFormat.of().formatHex(Arrays.copyOf(bytes, Math.min(bytes.length, 64)));
            fail("mutation [" + how + "] threw " + t + "; file starts " + head, t);
            return false;
        }
    }

    private static byte[] mutate(byte[] in, Random r, List<String> log) {
        if (in.length == 0) {
            log.add("grow");
            return new byte[] {'G', 'G', 'U', 'F'};
        }
        // favour the header, where the structure is
        int headerEnd = Math.min(in.length, 400);
        int at = r.nextInt(4) == 0 ? r.nextInt(in.length) : r.nextInt(headerEnd);
        byte[] out = in.clone();
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        switch (r.nextInt(8)) {
            case 0 -> {
                int len = r.nextInt(in.length);
                log.add("truncate " + len);
                return Arrays.copyOf(in, len);
            }
            case 1 -> {
                int bits = 1 + r.nextInt(8);
                for (int i = 0; i < bits; i++) {
                    int p = r.nextInt(4) == 0 ? r.nextInt(out.length) : r.nextInt(headerEnd);
                    out[p] ^= (byte) (1 << r.nextInt(8));
                }
                log.add("flip " + bits + " bits");
            }
            case 2 -> {
                long v = INTERESTING[r.nextInt(INTERESTING.length)];
                int p = Math.min(at, out.length - Math.min(out.length, 8));
                if (out.length >= 8) {
                    b.putLong(p, v);
                }
                log.add("u64 " + v + " @" + p);
            }
            case 3 -> {
                long v = INTERESTING[r.nextInt(INTERESTING.length)];
                int p = Math.min(at, out.length - Math.min(out.length, 4));
                if (out.length >= 4) {
                    b.putInt(p, (int) v);
                }
                log.add("u32 " + (int) v + " @" + p);
            }
            case 4 -> {
                int p = Math.min(at, out.length - Math.min(out.length, 4));
                int tag = r.nextInt(40) - 2; // value-type tags, ggml type ids and n_dims all live in this range
                if (out.length >= 4) {
                    b.putInt(p, tag);
                }
                log.add("tag " + tag + " @" + p);
            }
            case 5 -> {
                int n = 1 + r.nextInt(70);
                byte[] garbage = new byte[n];
                r.nextBytes(garbage);
                byte[] grown = new byte[in.length + n];
                System.arraycopy(in, 0, grown, 0, at);
                System.arraycopy(garbage, 0, grown, at, n);
                System.arraycopy(in, at, grown, at + n, in.length - at);
                log.add("insert " + n + " @" + at);
                return grown;
            }
            case 6 -> {
                int n = Math.min(1 + r.nextInt(16), in.length - at);
                byte[] shrunk = new byte[in.length - n];
                System.arraycopy(in, 0, shrunk, 0, at);
                System.arraycopy(in, at + n, shrunk, at, in.length - at - n);
                log.add("delete " + n + " @" + at);
                return shrunk;
            }
            default -> {
                int n = 1 + r.nextInt(100);
                byte[] grown = Arrays.copyOf(in, in.length + n);
                log.add("append " + n);
                return grown;
            }
        }
        return out;
    }
}

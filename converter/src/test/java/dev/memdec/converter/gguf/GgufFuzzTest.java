package dev.memdec.converter.gguf;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import dev.memdec.converter.fuzz.Mutator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutates small valid files in memory (truncations, bit flips, huge counts and lengths, wrong type tags,
 * lying dims and offsets, inserted and deleted bytes) and requires every result to either parse, with
 * all of its tensors readable, or be rejected with a {@link GgufFormatException}.
 */
class GgufFuzzTest {

    private static final int MUTATIONS_PER_SEED = 4_000;

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
        Mutator m = new Mutator(20260323);
        int parsed = 0;
        int rejected = 0;
        for (byte[] seed : seeds()) {
            assertOutcome(seed, "seed");
            for (int i = 0; i < MUTATIONS_PER_SEED; i++) {
                m.log().clear();
                byte[] mutant = seed;
                int edits = 1 + m.random().nextInt(3);
                for (int e = 0; e < edits; e++) {
                    mutant = mutate(mutant, m);
                }
                if (assertOutcome(mutant, String.join(", ", m.log()))) {
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

    /**
     * One edit: a GGUF value-type tag, ggml type id or n_dims (all in [-2, 38)) written into the header, or one of
     * the shared {@link Mutator}'s byte edits, which favour the first 400 bytes, where the structure is.
     */
    private static byte[] mutate(byte[] in, Mutator m) {
        if (in.length < 4 || m.random().nextInt(8) > 0) {
            return m.bytes(in, 400);
        }
        int p = m.random().nextInt(Math.min(in.length, 400) - 3);
        int tag = m.random().nextInt(40) - 2;
        byte[] out = in.clone();
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(p, tag);
        m.note("tag " + tag + " @" + p);
        return out;
    }
}

package dev.memdec.converter.gpt2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.eval.SlidingWindowPerplexity;
import dev.memdec.converter.gguf.FloatSource;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Gpt2ReferenceModelTest {

    private static final Gpt2Config SMALL_VOCAB = Gpt2Config.of(2, 64, 4, 32, 500);

    @TempDir
    Path dir;

    @Test
    void laterTokensDoNotChangeEarlierLogits() {
        Gpt2ReferenceModel model = new Gpt2ReferenceModel(SMALL_VOCAB, new RandomGpt2Weights(SMALL_VOCAB, 1), false);
        int[] a = {5, 17, 300, 42, 42, 7, 499, 0, 13, 250};
        int[] b = a.clone();
        b[6] = 123;
        float[][] la = model.logits(a);
        float[][] lb = model.logits(b);
        for (int t = 0; t < 6; t++) {
            assertArrayEquals(la[t], lb[t], "position " + t);
        }
        for (int t = 6; t < a.length; t++) {
            assertFalse(Arrays.equals(la[t], lb[t]), "position " + t + " sees the changed token");
        }
        // A prefix run gives the same logits as the longer run at the same positions.
        float[][] prefix = model.logits(Arrays.copyOf(a, 4));
        for (int t = 0; t < 4; t++) {
            assertArrayEquals(la[t], prefix[t], "prefix position " + t);
        }
    }

    /**
     * E = 2, one head, V = 3, one layer. Q = K = 0 (uniform causal attention), V and the attention output are
     * identities, the MLP is zero except for its output bias. On a 2-vector LayerNorm maps [u, v] to
     * [g, −g] with g = d/√(d² + eps), d = (u − v)/2, so every logit follows by hand (see the comments).
     */
    @Test
    void tinyHandCheckedCase() {
        float eps = 1e-5f;
        Gpt2Config c = new Gpt2Config(1, 2, 1, 4, 3, 8, eps);
        Map<String, float[]> w = new HashMap<>();
        float[] wte = {1, 0, 0, 1, 2, 0};                           // tokens: [1,0], [0,1], [2,0]
        w.put(Gpt2Tensors.TOKEN_EMBD, wte);
        w.put(Gpt2Tensors.OUTPUT, wte);
        w.put(Gpt2Tensors.POSITION_EMBD, new float[8]);
        w.put("blk.0.attn_norm.weight", new float[] {1, 1});
        w.put("blk.0.attn_norm.bias", new float[2]);
        w.put("blk.0.attn_qkv.weight", new float[] {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1}); // rows: Q, Q, K, K, V, V
        w.put("blk.0.attn_qkv.bias", new float[6]);
        w.put("blk.0.attn_output.weight", new float[] {1, 0, 0, 1});
        w.put("blk.0.attn_output.bias", new float[2]);
        w.put("blk.0.ffn_norm.weight", new float[] {1, 1});
        w.put("blk.0.ffn_norm.bias", new float[2]);
        w.put("blk.0.ffn_up.weight", new float[16]);
        w.put("blk.0.ffn_up.bias", new float[8]);
        w.put("blk.0.ffn_down.weight", new float[16]);
        w.put("blk.0.ffn_down.bias", new float[] {0.25f, -0.25f});
        w.put(Gpt2Tensors.OUTPUT_NORM, new float[] {1, 2});
        w.put(Gpt2Tensors.OUTPUT_NORM_BIAS, new float[] {0, 0.5f});
        Gpt2Weights weights = name -> FloatSource.of(w.get(name));

        for (boolean emulate : new boolean[] {false, true}) {
            Gpt2ReferenceModel.Forward forward = new Gpt2ReferenceModel(c, weights, emulate).forward(new int[] {0, 1});
            float[][] logits = forward.logits();
            // position 0: x = [1,0]; attention sees only itself: + [c, −c] with c = g(0.5); + down bias.
            double cc = g(0.5, eps);
            // the MLP's (only, so last) input is the LayerNorm of the residual after attention
            double f0 = g((1 + 2 * cc) / 2, eps);
            assertLogits(new double[] {f0, -f0}, forward.lastFfnInput()[0]);
            assertLogits(new double[] {-cc, cc}, forward.lastFfnInput()[1]);
            double g0 = g(((1 + cc + 0.25) - (-cc - 0.25)) / 2, eps);
            // final norm: [g0, −g0] * [1, 2] + [0, 0.5]; logits = rows of wte · that
            assertLogits(new double[] {g0, -2 * g0 + 0.5, 2 * g0}, logits[0]);
            // position 1: x = [0,1]; attention averages [c,−c] and [−c,c] = 0; + bias → [0.25, 0.75]
            double g1 = g((0.25 - 0.75) / 2, eps);
            assertLogits(new double[] {g1, -2 * g1 + 0.5, 2 * g1}, logits[1]);
        }
    }

    private static double g(double d, double eps) {
        return d / Math.sqrt(d * d + eps);
    }

    private static void assertLogits(double[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-6, "logit " + i);
        }
    }

    @Test
    void emulatedGeluStaysCloseToExact() {
        RandomGpt2Weights w = new RandomGpt2Weights(SMALL_VOCAB, 2);
        int[] tokens = {1, 2, 3, 4, 5, 6, 7, 8};
        float[][] exact = new Gpt2ReferenceModel(SMALL_VOCAB, w, false).logits(tokens);
        float[][] emulated = new Gpt2ReferenceModel(SMALL_VOCAB, w, true).logits(tokens);
        double maxDiff = 0;
        for (int t = 0; t < tokens.length; t++) {
            for (int v = 0; v < exact[t].length; v++) {
                maxDiff = Math.max(maxDiff, Math.abs(exact[t][v] - emulated[t][v]));
            }
        }
        assertTrue(maxDiff > 0, "f16 GELU rounding is visible");
        assertTrue(maxDiff < 1e-2, "but small: " + maxDiff);
    }

    @Test
    void ggufRoundTripGivesTheSameModel() throws Exception {
        Gpt2Config c = Gpt2Config.of(2, 32, 2, 16, Gpt2Tokenizer.VOCAB_SIZE);
        RandomGpt2Weights w = new RandomGpt2Weights(c, 4);
        int[] tokens = Gpt2Tokenizer.get().encode("The memory decoder remembers.");
        float[][] direct = new Gpt2ReferenceModel(c, w, true).logits(tokens);
        Path f32 = dir.resolve("f32.gguf");
        Path q8 = dir.resolve("q8.gguf");
        Gpt2GgufExporter.write(c, w, Gpt2Tokenizer.vocabulary(), GgmlType.F32, Map.of(), f32);
        Gpt2GgufExporter.write(c, w, Gpt2Tokenizer.vocabulary(), GgmlType.Q8_0, Map.of(), q8);
        try (GgufFile f = GgufFile.open(f32)) {
            float[][] fromFile = Gpt2ReferenceModel.load(f, true).logits(tokens);
            for (int t = 0; t < tokens.length; t++) {
                assertArrayEquals(direct[t], fromFile[t], "position " + t);
            }
        }
        try (GgufFile f = GgufFile.open(q8)) {
            float[][] quantized = Gpt2ReferenceModel.load(f, true).logits(tokens);
            assertFalse(Arrays.equals(direct[0], quantized[0]), "Q8_0 dequantizes to different weights");
            for (int t = 0; t < tokens.length; t++) {
                assertArrayEquals(direct[t], quantized[t], 2e-2f, "position " + t);
            }
        }
    }

    @Test
    void randomModelPerplexityIsNearVocabularySize() {
        Gpt2ReferenceModel model = new Gpt2ReferenceModel(SMALL_VOCAB, new RandomGpt2Weights(SMALL_VOCAB, 3), false);
        int[] tokens = new java.util.Random(5).ints(80, 0, 500).toArray();
        SlidingWindowPerplexity.Result r = SlidingWindowPerplexity.evaluate(model::logits, tokens, 32, 16);
        assertEquals(79, r.tokens());
        assertTrue(r.perplexity() > 400 && r.perplexity() < 625, "ppl " + r.perplexity());
    }

    @Test
    void rejectsBadSequences() {
        Gpt2ReferenceModel model = new Gpt2ReferenceModel(SMALL_VOCAB, new RandomGpt2Weights(SMALL_VOCAB, 1), false);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> model.logits(new int[33]))
                .getMessage().contains("ctx"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> model.logits(new int[] {1, 500}))
                .getMessage().contains("position 1"));
    }
}

package dev.memdec.trainer.model.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.hf.Llama3RopeScaling;
import dev.memdec.converter.hf.RopeDecoderReference;
import dev.memdec.trainer.model.LmConfig;
import dev.memdec.trainer.model.OwnedArrays;
import dev.memdec.trainer.model.TensorSource;
import dev.memdec.trainer.train.Checkpoint;
import dev.memdec.trainer.train.SyntheticWindows;
import dev.memdec.trainer.train.TrainingOptions;
import dev.memdec.trainer.train.TrainingRun;
import dev.memdec.trainer.train.TrainingState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The llama-shaped DJL forward against the converter's independent plain-Java reference of HF's Llama / Qwen2
 * (run in GGUF layout: adjacent rotary pairs for llama, half-split for qwen2), and through the training loop.
 */
class RopeLmTest {

    private static final int VOCAB = 40;
    private static final int[] PROMPT = {3, 17, 5, 29, 11, 0, 38, 7, 21, 2, 13, 9};
    private static final Llama3RopeScaling SCALING = new Llama3RopeScaling(8, 1, 4, 16);

    static RopeLmConfig config(String arch, int kvHeads, boolean tied, boolean scaled) {
        List<Float> factors = new ArrayList<>();
        if (scaled) {
            for (float f : SCALING.frequencyDivisors(10_000.0, 8)) {
                factors.add(f);
            }
        }
        return new RopeLmConfig(arch, new RopeDecoderConfig(2, 32, 4, kvHeads, 8, 48, VOCAB, 16, 1e-5f, 10_000f, tied, 0),
                factors);
    }

    /** Every tensor non-trivial: matrices N(0, 0.3), norm gains 1 + N(0, 0.2), biases N(0, 0.2). */
    static TensorSource noisy(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return (name, shape) -> {
            float[] v = new float[Math.toIntExact(LmConfig.count(shape))];
            boolean norm = name.endsWith("norm.weight");
            double std = name.endsWith(".bias") || norm ? 0.2 : 0.3;
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((norm ? 1 : 0) + r.nextGaussian() * std);
            }
            return v;
        };
    }

    private static String hfName(String gguf) {
        if (gguf.equals("token_embd.weight")) {
            return "model.embed_tokens.weight";
        }
        if (gguf.equals("output_norm.weight")) {
            return "model.norm.weight";
        }
        if (gguf.equals("output.weight")) {
            return "lm_head.weight";
        }
        String[] p = gguf.split("\\.", 3);
        String hf = switch (p[2]) {
            case "attn_norm.weight" -> "input_layernorm.weight";
            case "ffn_norm.weight" -> "post_attention_layernorm.weight";
            case "attn_output.weight" -> "self_attn.o_proj.weight";
            case "ffn_gate.weight" -> "mlp.gate_proj.weight";
            case "ffn_up.weight" -> "mlp.up_proj.weight";
            case "ffn_down.weight" -> "mlp.down_proj.weight";
            default -> "self_attn." + p[2].replace("attn_", "").replace(".", "_proj.");
        };
        return "model.layers." + p[1] + "." + hf;
    }

    private static float[] djlLogits(RopeLm model, NDManager m, int[] tokens) {
        try (NDManager step = m.newSubManager()) {
            long[] ids = Arrays.stream(tokens).asLongStream().toArray();
            return model.forward(OwnedArrays.longs(step, ids, new Shape(1, ids.length))).toFloatArray();
        }
    }

    private static double maxDiffAgainstReference(RopeLmConfig c) {
        TensorSource weights = noisy(7);
        Map<String, float[]> byHfName = new HashMap<>();
        c.trainableTensors().forEach((name, shape) -> byHfName.put(hfName(name), weights.read(name, shape)));
        RopeDecoderConfig d = c.decoder();
        RopeDecoderReference.Shape shape = new RopeDecoderReference.Shape(d.layers(), d.embd(), d.heads(), d.kvHeads(),
                d.headDim(), d.ff(), d.vocab(), d.rmsEps(), d.ropeTheta(), d.tiedOutput(), c.ropeFreqFactors().isEmpty() ? null
                : new RopeDecoderReference.Llama3Scaling(SCALING.factor(), SCALING.lowFreqFactor(), SCALING.highFreqFactor(),
                        SCALING.originalContext()));
        float[][] expected = new RopeDecoderReference(shape, n -> Optional.ofNullable(byHfName.get(n)),
                c.neoxRope() ? RopeDecoderReference.RopePairing.HALF_SPLIT
                        : RopeDecoderReference.RopePairing.ADJACENT).logits(PROMPT);
        try (NDManager m = NDManager.newBaseManager("PyTorch"); RopeLm model = RopeLm.create(m, c, noisy(7))) {
            float[] got = djlLogits(model, m, PROMPT);
            double max = 0;
            double scale = 0;
            for (int t = 0; t < PROMPT.length; t++) {
                for (int v = 0; v < c.vocab(); v++) {
                    max = Math.max(max, Math.abs(got[t * c.vocab() + v] - expected[t][v]));
                    scale = Math.max(scale, Math.abs(expected[t][v]));
                }
            }
            assertTrue(scale > 0.5, "logits must be non-trivial: " + scale);
            return max;
        }
    }

    @Test
    void llamaWithGqaAndLlama3RopeScalingMatchesTheReference() {
        double d = maxDiffAgainstReference(config("llama", 2, false, true));
        assertTrue(d < 1e-4, "max |DJL - reference| = " + d);
    }

    @Test
    void tiedLlamaWithoutGqaMatchesTheReference() {
        double d = maxDiffAgainstReference(config("llama", 4, true, false));
        assertTrue(d < 1e-4, "max |DJL - reference| = " + d);
    }

    @Test
    void qwen2WithBiasesAndGqaMatchesTheReference() {
        double d = maxDiffAgainstReference(config("qwen2", 1, true, false));
        assertTrue(d < 1e-4, "max |DJL - reference| = " + d);
    }

    @Test
    void ropeScalingChangesTheLogits() {
        // without this, a scaled and an unscaled model could agree with the reference by ignoring the factors
        try (NDManager m = NDManager.newBaseManager("PyTorch");
             RopeLm scaled = RopeLm.create(m, config("llama", 2, false, true), noisy(3));
             RopeLm plain = RopeLm.create(m, config("llama", 2, false, false), noisy(3))) {
            float[] a = djlLogits(scaled, m, PROMPT);
            float[] b = djlLogits(plain, m, PROMPT);
            assertArrayEquals(Arrays.copyOf(a, VOCAB), Arrays.copyOf(b, VOCAB), 1e-6f); // position 0 does not rotate
            assertNotEquals(a[a.length - 1], b[b.length - 1]);
        }
    }

    @Test
    void qwen3QkNormsAreTrainedAndLaterTokensNeverChangeEarlierLogits() {
        RopeLmConfig c = config("qwen3", 2, true, false);
        assertTrue(c.trainableTensors().containsKey("blk.1.attn_k_norm.weight"));
        assertTrue(!c.trainableTensors().containsKey("blk.1.attn_k.bias"));
        try (NDManager m = NDManager.newBaseManager("PyTorch"); RopeLm model = RopeLm.create(m, c, noisy(5))) {
            float[] a = djlLogits(model, m, new int[] {3, 7, 11, 2, 9, 4});
            float[] b = djlLogits(model, m, new int[] {3, 7, 11, 30, 1, 0});
            assertArrayEquals(Arrays.copyOf(a, 3 * VOCAB), Arrays.copyOf(b, 3 * VOCAB));
            assertNotEquals(a[3 * VOCAB], b[3 * VOCAB]);
        }
    }

    @Test
    void shapesThatDoNotFitTheFamilyAreRefusedNamingTheField() {
        var gqa = assertThrows(IllegalArgumentException.class, () -> RopeLmConfig.fresh("llama", 2, 64, 8, 3, 16, VOCAB));
        assertTrue(gqa.getMessage().startsWith("kv_heads 3 does not divide heads 8"), gqa.getMessage());
        var odd = assertThrows(IllegalArgumentException.class, () -> RopeLmConfig.fresh("qwen3", 2, 36, 4, 4, 16, VOCAB));
        assertTrue(odd.getMessage().startsWith("head_dim 9 is odd"), odd.getMessage());
        var width = assertThrows(IllegalArgumentException.class, () -> RopeLmConfig.fresh("qwen2", 2, 30, 4, 4, 16, VOCAB));
        assertTrue(width.getMessage().startsWith("heads 4 does not divide embd 30"), width.getMessage());
        var qwen2 = assertThrows(IllegalArgumentException.class, () -> new RopeLmConfig("qwen2",
                new RopeDecoderConfig(1, 32, 4, 4, 16, 48, VOCAB, 16, 1e-5f, 1e4f, true, 0), List.of()));
        assertTrue(qwen2.getMessage().startsWith("qwen2 head_dim: "), qwen2.getMessage());
        var arch = assertThrows(IllegalArgumentException.class, () -> RopeLmConfig.fresh("gemma3", 2, 32, 4, 4, 16, VOCAB));
        assertTrue(arch.getMessage().startsWith("general.architecture 'gemma3' is not one the trainer can train"), arch.getMessage());
        var scaled = assertThrows(IllegalArgumentException.class, () -> new RopeLmConfig("qwen2",
                new RopeDecoderConfig(1, 32, 4, 4, 8, 48, VOCAB, 16, 1e-5f, 1e4f, true, 0), List.of(1f, 2f, 3f, 4f)));
        assertTrue(scaled.getMessage().startsWith("rope_freqs.weight: "), scaled.getMessage());
    }

    @Test
    void theTrainingLoopTrainsAndResumesALlamaShapedModel(@TempDir Path dir) throws Exception {
        RopeLmConfig c = config("qwen2", 2, false, false);
        TrainingOptions o = new TrainingOptions(0.5f, 2e-2f, 3, 4, 42, 1.0f, 0, 0.55f);
        SyntheticWindows data = new SyntheticWindows(10, 16, VOCAB, 4, 11);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            TrainingRun.Result straight = new TrainingRun(m, c, c.randomInit(1), data.slice(0, 8), data.slice(8, 10), o,
                    dir.resolve("straight"), Map.of(), null).progressTo(null).run();
            var steps = straight.state().steps();
            assertTrue(steps.get(steps.size() - 1).loss() < 0.8 * steps.get(0).loss(), "loss " + steps);
            TrainingRun resumed = new TrainingRun(m, c, c.randomInit(1), data.slice(0, 8), data.slice(8, 10), o,
                    dir.resolve("resumed"), Map.of(), null).progressTo(null);
            resumed.runUntil(2);
            TrainingRun.Result end = resumed.run();
            TrainingState state = Checkpoint.readState(end.checkpoint());
            assertEquals(c, state.model());
            TensorSource a = Checkpoint.modelTensors(m, straight.checkpoint());
            TensorSource b = Checkpoint.modelTensors(m, end.checkpoint());
            c.trainableTensors().forEach((name, shape) -> assertArrayEquals(a.read(name, shape), b.read(name, shape), name));
        }
    }
}

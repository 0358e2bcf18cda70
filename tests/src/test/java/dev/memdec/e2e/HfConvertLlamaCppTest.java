package dev.memdec.e2e;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2ReferenceModel;
import dev.memdec.converter.hf.HfArchitecture;
import dev.memdec.converter.hf.HfCheckpoints;
import dev.memdec.converter.hf.HfConverter;
import dev.memdec.converter.hf.RopeDecoderReference;
import dev.memdec.converter.hf.SyntheticHfCheckpoint;
import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.KvType;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The converter's output is the HF model as llama.cpp computes it: for each architecture a random HF checkpoint
 * is converted to F32 GGUF, run through llama.cpp b4916 (F32 KV cache), and its logits at every position are
 * compared with an independent Java forward pass of the HF definition on the HF tensors. Llama-3.1-style rope
 * scaling, which the converter expresses as {@code rope_freqs.weight}, is checked the same way.
 */
class HfConvertLlamaCppTest {

    /** Max abs logit difference allowed between llama.cpp on the F32 GGUF and the HF reference (issue 4). */
    private static final float TOLERANCE = 1e-3f;
    private static final int[] PROMPT = {5, 270, 17, 256, 99, 3, 261, 42, 128, 7, 33, 200};

    private static final System.Logger LOG = System.getLogger(HfConvertLlamaCppTest.class.getName());

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(HfArchitecture.class)
    void llamaCppLogitsOnConvertedF32MatchHfReference(HfArchitecture arch) throws IOException {
        SyntheticHfCheckpoint c = SyntheticHfCheckpoint.tiny(arch);
        Path ckpt = dir.resolve("ckpt");
        c.writeTo(ckpt);
        Path gguf = dir.resolve(arch + ".gguf");
        HfConverter.convert(ckpt, gguf, GgmlType.F32);

        Map<String, float[]> hf = HfCheckpoints.hfTensors(ckpt);
        float[][] reference = arch == HfArchitecture.GPT2
                ? new Gpt2ReferenceModel(new Gpt2Config(c.layers(), c.embd(), c.heads(), c.context(), c.vocabSize(), c.ff(), 1e-5f),
                        HfCheckpoints.hfAsGpt2Weights(hf, c), true).logits(PROMPT)
                : new RopeDecoderReference(RopeDecoderReference.shapeOf(c), n -> Optional.ofNullable(hf.get(n)),
                        RopeDecoderReference.RopePairing.HALF_SPLIT).logits(PROMPT);

        float[][] llamaCpp = llamaCppLogits(gguf, c);
        float max = maxAbsDiff(llamaCpp, reference);
        float scale = maxAbs(reference);
        LOG.log(System.Logger.Level.INFO, "{0}: max |llama.cpp - HF reference| = {1} over logits up to {2}", arch,
                String.valueOf(max), String.valueOf(scale));
        assertTrue(scale > 1, "logits must be non-trivial for the comparison to mean anything: " + scale);
        assertTrue(max <= TOLERANCE, arch + ": max |llama.cpp - HF reference| = " + max + " (logit range " + scale + ")");
    }

    @Test
    void llama3RopeScalingMatchesThroughRopeFreqs() throws IOException {
        SyntheticHfCheckpoint c = SyntheticHfCheckpoint.tiny(HfArchitecture.LLAMA);
        Path ckpt = dir.resolve("ckpt");
        c.writeTo(ckpt);
        HfCheckpoints.addLlama3RopeScaling(ckpt);
        Path gguf = dir.resolve("llama3.gguf");
        HfConverter.convert(ckpt, gguf, GgmlType.F32);

        Map<String, float[]> hf = HfCheckpoints.hfTensors(ckpt);
        RopeDecoderReference.Shape plain = RopeDecoderReference.shapeOf(c);
        float[][] scaled = new RopeDecoderReference(plain.withLlama3Scaling(HfCheckpoints.LLAMA3_SCALING),
                n -> Optional.ofNullable(hf.get(n)), RopeDecoderReference.RopePairing.HALF_SPLIT).logits(PROMPT);
        float[][] unscaled = new RopeDecoderReference(plain, n -> Optional.ofNullable(hf.get(n)),
                RopeDecoderReference.RopePairing.HALF_SPLIT).logits(PROMPT);
        float[][] llamaCpp = llamaCppLogits(gguf, c);
        float max = maxAbsDiff(llamaCpp, scaled);
        LOG.log(System.Logger.Level.INFO, "llama3 rope scaling: max |llama.cpp - HF reference| = {0}, scaling itself moves logits by {1}",
                String.valueOf(max), String.valueOf(maxAbsDiff(scaled, unscaled)));
        assertTrue(maxAbsDiff(scaled, unscaled) > 10 * TOLERANCE, "the scaling must matter at this prompt length");
        assertTrue(max <= TOLERANCE, "max |llama.cpp - HF reference| = " + max);
    }

    /** Logits at every prompt position from llama.cpp on {@code gguf}, with an F32 KV cache. */
    private static float[][] llamaCppLogits(Path gguf, SyntheticHfCheckpoint c) throws IOException {
        try (LlamaModel model = LlamaModel.load(gguf, ModelOptions.defaults());
             LlamaContext ctx = LlamaContext.create(model, ContextOptions.defaults().withNCtx(64).withBatch(64, 64)
                     .withThreads(2, 2).withKvType(KvType.F32))) {
            assertEquals(c.vocabSize(), model.vocab().size());
            assertEquals(c.layers(), model.nLayer());
            ctx.decode(PROMPT, 0, true);
            float[][] logits = new float[PROMPT.length][c.vocabSize()];
            for (int t = 0; t < PROMPT.length; t++) {
                ctx.copyLogits(t, logits[t]);
            }
            return logits;
        }
    }

    private static float maxAbsDiff(float[][] a, float[][] b) {
        float max = 0;
        for (int t = 0; t < a.length; t++) {
            for (int i = 0; i < a[t].length; i++) {
                max = Math.max(max, Math.abs(a[t][i] - b[t][i]));
            }
        }
        return max;
    }

    private static float maxAbs(float[][] a) {
        float max = 0;
        for (float[] row : a) {
            for (float v : row) {
                max = Math.max(max, Math.abs(v));
            }
        }
        return max;
    }
}

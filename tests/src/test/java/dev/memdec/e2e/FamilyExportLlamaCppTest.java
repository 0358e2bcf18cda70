package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.hf.Llama3RopeScaling;
import dev.memdec.converter.tokenizer.BpeTrainer;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.KvType;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import dev.memdec.natives.llama.RuntimeProfile;
import dev.memdec.trainer.model.LmConfig;
import dev.memdec.trainer.model.OwnedArrays;
import dev.memdec.trainer.model.TensorSource;
import dev.memdec.trainer.model.llama.RopeLm;
import dev.memdec.trainer.model.llama.RopeLmConfig;
import dev.memdec.trainer.model.llama.RopeLmGguf;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The trainer's llama-shaped DJL forward and llama.cpp compute the same logits on the exported F32 GGUF (F32 KV
 * cache), max |difference| ≤ 1e-3 at every position, per family: llama with GQA and Llama-3 rope scaling
 * ({@code rope_freqs}), qwen2 with q/k/v biases, qwen3 with q/k norms, tied and untied outputs. Every tensor is
 * non-trivial (norm gains off 1, biases off 0), so a tensor llama.cpp ignored would show. qwen3 runs in the
 * v0.5.0 pass only: b4916 predates the family.
 */
class FamilyExportLlamaCppTest {

    private static final float TOLERANCE = 1e-3f;
    private static final int CTX = 32;
    private static final BpeVocabulary VOCAB = BpeTrainer.train(
            List.of("the cat sat on the mat; the dog sat on the log and the bird sang"), 300);
    private static final System.Logger LOG = System.getLogger(FamilyExportLlamaCppTest.class.getName());

    private static TensorSource noisy(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return (name, shape) -> {
            float[] v = new float[Math.toIntExact(LmConfig.count(shape))];
            boolean norm = name.endsWith("norm.weight");
            double std = norm || name.endsWith(".bias") ? 0.2 : 0.15;
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((norm ? 1 : 0) + r.nextGaussian() * std);
            }
            return v;
        };
    }

    @ParameterizedTest(name = "{0} kv_heads={1} tied={2} rope_scaling={3}")
    @CsvSource({"llama, 2, false, true", "llama, 4, true, false", "qwen2, 2, true, false", "qwen2, 1, false, false",
            "qwen3, 2, false, false", "qwen3, 4, true, false"})
    void djlLogitsMatchLlamaCppOnTheExportedGguf(String arch, int kvHeads, boolean tied, boolean scaled,
                                                @TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(!arch.equals("qwen3") || RuntimeProfile.selected() == RuntimeProfile.V0_5_0,
                "llama.cpp b4916 has no qwen3; this case runs in the v0.5.0 pass");
        List<Float> factors = new ArrayList<>();
        if (scaled) {
            for (float f : new Llama3RopeScaling(8, 1, 4, 16).frequencyDivisors(10_000, 16)) {
                factors.add(f);
            }
        }
        RopeDecoderConfig shape = new RopeDecoderConfig(2, 64, 4, kvHeads, 16, 96, VOCAB.size(), CTX, 1e-5f, 10_000f,
                tied, 0);
        RopeLmConfig config = new RopeLmConfig(arch, shape, factors);
        SplittableRandom r = new SplittableRandom(3);
        int[] prompt = new int[20];
        long[] ids = new long[prompt.length];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = r.nextInt(VOCAB.size());
            ids[i] = prompt[i];
        }
        Path gguf = dir.resolve(arch + ".gguf");
        float[] djl;
        try (NDManager m = NDManager.newBaseManager("PyTorch"); RopeLm model = RopeLm.create(m, config, noisy(5))) {
            RopeLmGguf.write(model, VOCAB, GgmlType.F32, Map.of(), gguf);
            djl = model.forward(OwnedArrays.longs(m, ids, new Shape(1, ids.length))).toFloatArray();
        }
        try (GgufFile f = GgufFile.open(gguf)) {
            assertEquals(scaled, f.tensor("rope_freqs.weight").isPresent());
            assertEquals(tied, f.tensor("output.weight").isEmpty());
        }
        try (LlamaModel model = LlamaModel.load(gguf, ModelOptions.defaults());
             LlamaContext ctx = LlamaContext.create(model, ContextOptions.defaults().withNCtx(CTX).withBatch(CTX, CTX)
                     .withThreads(2, 2).withKvType(KvType.F32))) {
            assertEquals(VOCAB.size(), model.vocab().size());
            ctx.decode(prompt, 0, true);
            float max = 0;
            float scale = 0;
            float[] row = new float[VOCAB.size()];
            for (int t = 0; t < prompt.length; t++) {
                ctx.copyLogits(t, row);
                for (int v = 0; v < row.length; v++) {
                    float d = djl[t * VOCAB.size() + v];
                    max = Math.max(max, Math.abs(row[v] - d));
                    scale = Math.max(scale, Math.abs(d));
                }
            }
            LOG.log(System.Logger.Level.INFO, "{0}: max |llama.cpp - DJL| = {1} over logits up to {2}", arch,
                    String.valueOf(max), String.valueOf(scale));
            System.out.printf("%s kv=%d tied=%b scaled=%b: max |llama.cpp - DJL| = %.3g (logits up to %.3g)%n", arch,
                    kvHeads, tied, scaled, max, scale);
            assertTrue(scale > 0.5f, "logits must be non-trivial for the comparison to mean anything: " + scale);
            assertTrue(max <= TOLERANCE, "max |llama.cpp - DJL| = " + max + " (logit range " + scale + ")");
        }
    }
}

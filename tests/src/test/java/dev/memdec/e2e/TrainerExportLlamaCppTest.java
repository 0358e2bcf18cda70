package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.KvType;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import dev.memdec.trainer.model.Gpt2Lm;
import dev.memdec.trainer.model.Gpt2LmWeights;
import dev.memdec.trainer.model.OwnedArrays;
import dev.memdec.trainer.train.Checkpoint;
import dev.memdec.trainer.train.SyntheticWindows;
import dev.memdec.trainer.train.TrainingOptions;
import dev.memdec.trainer.train.TrainingRun;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's DJL forward pass and llama.cpp b4916 compute the same logits for a trained model exported as
 * F32 GGUF (F32 KV cache): max |difference| ≤ 1e-3 at every position.
 */
class TrainerExportLlamaCppTest {

    private static final float TOLERANCE = 1e-3f;
    private static final System.Logger LOG = System.getLogger(TrainerExportLlamaCppTest.class.getName());

    @Test
    void djlLogitsMatchLlamaCppOnExportedGguf(@TempDir Path dir) throws Exception {
        Gpt2Config config = Gpt2Config.of(2, 64, 4, 32, Gpt2Tokenizer.VOCAB_SIZE);
        int[] prompt = Gpt2Tokenizer.get().encode("Call me Ishmael. Some years ago, never mind how long precisely");
        Path gguf = dir.resolve("memory.gguf");
        float[] djl;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            // A few steps move biases and norms off their initial 0 and 1, so every tensor takes part.
            TrainingRun.Result r = new TrainingRun(m, config, Gpt2Lm.randomInit(config, 3),
                    new SyntheticWindows(4, 16, config.vocab(), 4, 1), new SyntheticWindows(1, 16, config.vocab(), 4, 2),
                    new TrainingOptions(0.5f, 1e-2f, 1, 2, 3, 1f, 0, 0.55f), dir.resolve("run"), Map.of(), null)
                    .progressTo(null).run();
            try (Gpt2Lm model = Gpt2Lm.create(m, config, Checkpoint.modelTensors(m, r.checkpoint()))) {
                Gpt2GgufExporter.write(config, new Gpt2LmWeights(model), Gpt2Tokenizer.vocabulary(), GgmlType.F32,
                        Map.of(), gguf);
                long[] ids = new long[prompt.length];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = prompt[i];
                }
                djl = model.forward(OwnedArrays.longs(m, ids, new Shape(1, ids.length))).toFloatArray();
            }
        }
        try (LlamaModel model = LlamaModel.load(gguf, ModelOptions.defaults());
             LlamaContext ctx = LlamaContext.create(model, ContextOptions.defaults().withNCtx(32).withBatch(32, 32)
                     .withThreads(2, 2).withKvType(KvType.F32))) {
            assertEquals(config.vocab(), model.vocab().size());
            ctx.decode(prompt, 0, true);
            float max = 0;
            float scale = 0;
            float[] row = new float[config.vocab()];
            for (int t = 0; t < prompt.length; t++) {
                ctx.copyLogits(t, row);
                for (int v = 0; v < row.length; v++) {
                    float d = djl[t * config.vocab() + v];
                    max = Math.max(max, Math.abs(row[v] - d));
                    scale = Math.max(scale, Math.abs(d));
                }
            }
            LOG.log(System.Logger.Level.INFO, "max |llama.cpp - DJL| = {0} over logits up to {1}", String.valueOf(max),
                    String.valueOf(scale));
            assertTrue(scale > 0.05f, "logits must be non-trivial for the comparison to mean anything: " + scale);
            assertTrue(max <= TOLERANCE, "max |llama.cpp - DJL| = " + max + " (logit range " + scale + ")");
        }
    }
}

package dev.memdec.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.trainer.model.Gpt2Lm;
import dev.memdec.trainer.model.OwnedArrays;
import org.junit.jupiter.api.Test;

class PerplexityTest {

    private static final Gpt2Config CONFIG = Gpt2Config.of(1, 32, 2, 16, 48);
    private static final TrainingWindows DATA = new SyntheticWindows(3, 12, 48, 0, 5);

    /** log p(label) per scored position, in plain Java doubles from the model's logits. */
    private static double[] labelLogProbs(NDManager m, Gpt2Lm model, KnnWindow w) {
        long[] ids = new long[w.tokens().length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = w.tokens()[i];
        }
        float[] logits = model.forward(OwnedArrays.longs(m, ids, new Shape(1, ids.length))).toFloatArray();
        int v = CONFIG.vocab();
        double[] out = new double[w.scored().length];
        for (int r = 0; r < out.length; r++) {
            int base = w.scored()[r] * v;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) {
                max = Math.max(max, logits[base + j]);
            }
            double z = 0;
            for (int j = 0; j < v; j++) {
                z += Math.exp(logits[base + j] - max);
            }
            out[r] = logits[base + w.label(r)] - max - Math.log(z);
        }
        return out;
    }

    @Test
    void jointPerplexityMixesProbabilities() {
        float lambda = 0.3f;
        try (NDManager m = NDManager.newBaseManager("PyTorch");
             Gpt2Lm memory = Gpt2Lm.create(m, CONFIG, Gpt2Lm.randomInit(CONFIG, 1));
             Gpt2Lm host = Gpt2Lm.create(m, CONFIG, Gpt2Lm.randomInit(CONFIG, 2))) {
            Perplexity p = Perplexity.evaluate(m, memory, host, lambda, DATA, 2);
            double nllMemory = 0;
            double nllHost = 0;
            double nllJoint = 0;
            long n = 0;
            for (int i = 0; i < DATA.size(); i++) {
                double[] lm = labelLogProbs(m, memory, DATA.window(i));
                double[] lh = labelLogProbs(m, host, DATA.window(i));
                for (int r = 0; r < lm.length; r++, n++) {
                    nllMemory -= lm[r];
                    nllHost -= lh[r];
                    nllJoint -= Math.log((1 - lambda) * Math.exp(lh[r]) + lambda * Math.exp(lm[r]));
                }
            }
            assertEquals(n, p.tokens());
            assertEquals(Math.exp(nllMemory / n), p.memory(), 1e-4 * p.memory());
            assertEquals(Math.exp(nllHost / n), p.host(), 1e-4 * p.host());
            assertEquals(Math.exp(nllJoint / n), p.joint(), 1e-4 * p.joint());
            assertTrue(Math.abs(p.joint() - p.memory()) > 1e-3, "host and memory differ, so must the joint");

            Perplexity same = Perplexity.evaluate(m, memory, memory, lambda, DATA, 3);
            assertEquals(same.memory(), same.joint(), 1e-9 * same.memory());
            assertTrue(Double.isNaN(Perplexity.evaluate(m, memory, null, lambda, DATA, 3).joint()));
        }
    }
}

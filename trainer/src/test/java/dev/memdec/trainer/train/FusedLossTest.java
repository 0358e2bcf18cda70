package dev.memdec.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.trainer.model.Gpt2Lm;
import dev.memdec.trainer.model.LmConfig;
import dev.memdec.trainer.model.OwnedArrays;
import dev.memdec.trainer.model.TrainableModel;
import dev.memdec.trainer.model.llama.RopeLmConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The training path's fused sparse loss ({@link DistillationLoss#computeFused}: kNN targets as (id, prob) pairs,
 * gradient (softmax − w)/N handed to autograd through the head's products) against the loss on densified targets
 * (the reference's form: p_kNN scattered into a [N, vocab] matrix, KL and CE through autograd's log-softmax): same
 * loss terms and the same gradient of every parameter, for a tied GPT-2 and an untied qwen2, β 0, 0.5 and 1.
 *
 * <p>Tolerances: loss terms within 2e-5 (float32 log-sum-exp over the vocabulary in two summation orders);
 * gradients within 1e-4 of the largest gradient entry of the tensor (float32 products summed in other orders).
 */
class FusedLossTest {

    private static final int VOCAB = 997;

    /** Windows with a skipped position, duplicate kNN ids, a zero probability and labels outside their kNN rows. */
    private static List<KnnWindow> windows(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        KnnWindow a = new KnnWindow(new int[] {1, 4, 2, 9, 0, 996, 5}, new int[] {0, 2, 3, 5}, new int[] {0, 3, 4, 7, 7 + 40},
                concat(new int[] {4, 5, 4, 9, 0, 1, 996}, randomIds(r, 40)),
                concat(new float[] {0.5f, 0.25f, 0.125f, 0.7f, 0.2f, 0f, 0.3f}, randomProbs(r, 40)));
        KnnWindow b = new KnnWindow(new int[] {3, 3, 7, 8, 100}, new int[] {1, 2, 3}, new int[] {0, 2, 2 + 300, 2 + 300 + 1},
                concat(new int[] {7, 10}, concat(randomIds(r, 300), new int[] {42})),
                concat(new float[] {0.9f, 0.05f}, concat(randomProbs(r, 300), new float[] {1f})));
        return List.of(a, b);
    }

    private static int[] randomIds(SplittableRandom r, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = r.nextInt(VOCAB);
        }
        return out;
    }

    private static float[] randomProbs(SplittableRandom r, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) r.nextDouble();
        }
        return out;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The loss on densified targets, through autograd: the reference's formulation (reference-spec §6.2–6.3). */
    private static DistillationLoss.Terms dense(NDArray scoredLogits, List<KnnWindow> windows, float beta) {
        NDManager m = scoredLogits.getManager();
        int n = (int) scoredLogits.getShape().get(0);
        float[] p = new float[n * VOCAB];
        float[] plogp = new float[n * VOCAB];
        float[] onehot = new float[n * VOCAB];
        int row = 0;
        for (KnnWindow w : windows) {
            for (int s = 0; s < w.scored().length; s++, row++) {
                float mass = 0;
                for (int j = w.offsets()[s]; j < w.offsets()[s + 1]; j++) {
                    p[row * VOCAB + w.ids()[j]] += w.probs()[j];
                    mass += w.probs()[j];
                }
                for (int v = 0; v < VOCAB; v++) {
                    float q = p[row * VOCAB + v] / mass;
                    p[row * VOCAB + v] = q;
                    plogp[row * VOCAB + v] = q > 0 ? (float) (q * Math.log(q)) : 0f;
                }
                onehot[row * VOCAB + w.label(s)] = 1f;
            }
        }
        Shape shape = new Shape(n, VOCAB);
        NDArray logq = scoredLogits.logSoftmax(-1);
        NDArray invN = OwnedArrays.scalar(m, 1f / n);
        NDArray ce = logq.mul(OwnedArrays.floats(m, onehot, shape)).sum().neg().mul(invN);
        NDArray kl = OwnedArrays.floats(m, plogp, shape).sum()
                .sub(logq.mul(OwnedArrays.floats(m, p, shape)).sum()).mul(invN);
        NDArray total = kl.mul(OwnedArrays.scalar(m, beta)).add(ce.mul(OwnedArrays.scalar(m, 1f - beta)));
        return new DistillationLoss.Terms(total, kl, ce);
    }

    private record Run(float total, float kl, float ce, Map<String, float[]> gradients) {
    }

    private static Run run(LmConfig spec, long seed, List<KnnWindow> windows, float beta, boolean fused) {
        try (NDManager m = NDManager.newBaseManager("PyTorch");
             TrainableModel model = spec.create(m, spec.randomInit(seed))) {
            model.setTrainable(true);
            try (NDManager s = m.newSubManager()) {
                Batch batch = Batch.pack(s, windows, new int[] {0, 1}, VOCAB, true);
                DistillationLoss.Terms terms;
                try (GradientCollector c = s.getEngine().newGradientCollector()) {
                    if (fused) {
                        terms = DistillationLoss.computeFused(model.scoredHidden(batch.tokens(), batch.rows(), null),
                                model.outputWeight(), batch, beta);
                    } else {
                        terms = dense(model.scoredLogits(batch.tokens(), batch.rows(), null), windows, beta);
                    }
                    c.backward(terms.backward());
                }
                Map<String, float[]> gradients = new LinkedHashMap<>();
                for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
                    NDArray g = p.getValue().getGradient();
                    g.attach(s);
                    gradients.put(p.getKey(), g.toFloatArray());
                }
                return new Run(terms.totalValue(), terms.klValue(), terms.ceValue(), gradients);
            }
        }
    }

    private static void assertSame(LmConfig spec, float beta) {
        List<KnnWindow> windows = windows(11);
        Run dense = run(spec, 5, windows, beta, false);
        Run fused = run(spec, 5, windows, beta, true);
        String what = spec.architecture() + " beta " + beta;
        assertEquals(dense.total(), fused.total(), 2e-5, "total, " + what);
        if (beta > 0) {   // at β 0 the training path has no KL term to report
            assertEquals(dense.kl(), fused.kl(), 2e-5, "kl, " + what);
        }
        assertEquals(dense.ce(), fused.ce(), 2e-5, "ce, " + what);
        assertEquals(dense.gradients().keySet(), fused.gradients().keySet());
        for (String name : dense.gradients().keySet()) {
            float[] d = dense.gradients().get(name);
            float[] f = fused.gradients().get(name);
            float scale = 0;
            float diff = 0;
            for (int i = 0; i < d.length; i++) {
                scale = Math.max(scale, Math.abs(d[i]));
                diff = Math.max(diff, Math.abs(d[i] - f[i]));
            }
            assertTrue(scale > 0, "gradient of " + name + " is zero: the check would be empty (" + what + ")");
            assertTrue(diff <= 1e-4f * scale, "gradient of " + name + ": max |dense - fused| " + diff
                    + " > 1e-4 x max |dense| " + scale + " (" + what + ")");
        }
    }

    @Test
    void tiedGpt2SameLossAndGradientsAsDenseTargets() {
        LmConfig gpt2 = new Gpt2Lm.Spec(Gpt2Config.of(2, 32, 4, 16, VOCAB));
        for (float beta : new float[] {0f, 0.5f, 1f}) {
            assertSame(gpt2, beta);
        }
    }

    @Test
    void untiedQwen2SameLossAndGradientsAsDenseTargets() {
        LmConfig qwen2 = new RopeLmConfig("qwen2",
                new RopeDecoderConfig(2, 32, 4, 2, 8, 48, VOCAB, 16, 1e-5f, 10_000f, false, 0), List.of());
        assertSame(qwen2, 0.5f);
    }
}

package dev.memdec.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.trainer.model.Gpt2Lm;
import dev.memdec.trainer.model.OwnedArrays;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DJL trainer against PyTorch eager (Debian's python3-torch, installed by scripts/setup.sh): same weights, same
 * batches with stride-style partially scored windows and raw kNN rows (unnormalised, a duplicate id, a zero
 * probability). Two steps: logits, loss terms and every gradient against the reference's, and AdamW (clipping active,
 * linear decay) against {@code torch.optim.AdamW} applied to the same gradients.
 */
class TorchParityTest {

    private static final int VOCAB = 97;
    private static final int LENGTH = 12;
    private static final Gpt2Config SHAPE = Gpt2Config.of(2, 64, 4, 16, VOCAB);

    /** Every tensor random, biases and LayerNorm parameters included, so each path of the graph is exercised. */
    private static Gpt2Lm.TensorSource weights(long seed) {
        return (name, shape) -> {
            SplittableRandom r = new SplittableRandom(seed + name.hashCode());
            float[] v = new float[(int) java.util.Arrays.stream(shape).reduce(1, Math::multiplyExact)];
            boolean gain = name.endsWith("_norm.weight");
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((gain ? 1 : 0) + r.nextGaussian() * (gain ? 0.1 : 0.08));
            }
            return v;
        };
    }

    /** A window whose positions from {@code firstScored} on are scored, each with 5 raw kNN entries. */
    private static KnnWindow window(SplittableRandom r, int firstScored) {
        int[] tokens = r.ints(LENGTH, 0, VOCAB).toArray();
        int n = LENGTH - 1 - firstScored;
        int[] scored = new int[n];
        int[] offsets = new int[n + 1];
        int[] ids = new int[n * 5];
        float[] probs = new float[n * 5];
        for (int s = 0; s < n; s++) {
            scored[s] = firstScored + s;
            offsets[s + 1] = offsets[s] + 5;
            for (int j = 0; j < 5; j++) {
                ids[s * 5 + j] = j == 0 ? tokens[scored[s] + 1] : r.nextInt(VOCAB);
                probs[s * 5 + j] = (float) r.nextDouble() * (j == 0 ? 2 : 1);
            }
            if (s % 3 == 0) {
                ids[s * 5 + 4] = ids[s * 5 + 1];   // a duplicate id: the reference's densify sums it
            }
            if (s % 4 == 1) {
                probs[s * 5 + 3] = 0f;
            }
        }
        return new KnnWindow(tokens, scored, offsets, ids, probs);
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    @Test
    void djlTrainerMatchesPytorchEager(@TempDir Path dir) throws Exception {
        SplittableRandom r = new SplittableRandom(5);
        List<List<KnnWindow>> batches = List.of(
                List.of(window(r, 0), window(r, 6), window(r, 3)),
                List.of(window(r, 2), window(r, 0), window(r, 8)));
        float beta = 0.5f;
        AdamW.Settings settings = AdamW.Settings.reference(1e-2f, 0.5f, 3);
        TorchReference.Check torch = new TorchReference(SHAPE, weights(3), beta, settings, 1).check(batches, dir);
        assertEquals(2, torch.steps().size());
        assertTrue(torch.steps().get(0).terms().gradNorm() > settings.clip(), "clipping must be active at step 0");

        float logitDiff = 0;
        float lossDiff = 0;
        float gradDiff = 0;
        float paramDiff = 0;
        try (NDManager m = NDManager.newBaseManager("PyTorch");
             Gpt2Lm model = Gpt2Lm.create(m, SHAPE, weights(3));
             AdamW adamW = new AdamW(m, model.parameters(), settings)) {
            model.setTrainable(true);
            for (int step = 0; step < batches.size(); step++) {
                TorchReference.Step expected = torch.steps().get(step);
                try (NDManager s = m.newSubManager()) {
                    Batch batch = Batch.pack(s, batches.get(step), new int[] {0, 1, 2}, VOCAB, true);
                    DistillationLoss.Terms terms;
                    try (GradientCollector c = s.getEngine().newGradientCollector()) {
                        NDArray logits = model.forward(batch.tokens());
                        terms = DistillationLoss.compute(logits, batch, beta);
                        c.backward(terms.total());
                        if (step == 0) {
                            logitDiff = maxAbsDiff(logits.toFloatArray(), torch.logits());
                        }
                    }
                    lossDiff = Math.max(lossDiff, Math.max(Math.abs(terms.totalValue() - expected.terms().loss()),
                            Math.max(Math.abs(terms.klValue() - expected.terms().kl()),
                                    Math.abs(terms.ceValue() - expected.terms().ce()))));
                    for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
                        NDArray g = p.getValue().getGradient();
                        g.attach(s);
                        float[] torchGradient = expected.gradients().get(p.getKey());
                        gradDiff = Math.max(gradDiff, maxAbsDiff(g.toFloatArray(), torchGradient));
                        // AdamW with eps 1e-8 turns gradients that are 0 in exact arithmetic (the key bias: softmax
                        // ignores a shift of a query's scores) but rounding noise of ~1e-9 in each engine into
                        // O(lr) steps of opposite signs; the optimizer is compared on the same gradients.
                        OwnedArrays.floats(s, torchGradient, g.getShape()).copyTo(g);
                    }
                    double norm = adamW.gradientNorm();
                    assertEquals(expected.terms().gradNorm(), norm, 1e-5 * norm, "gradient norm of step " + step);
                    adamW.update(step, norm);
                    for (String name : model.parameters().keySet()) {
                        paramDiff = Math.max(paramDiff, maxAbsDiff(model.values(name), expected.parameters().get(name)));
                    }
                }
            }
        }
        System.out.printf("DJL vs PyTorch %s eager (2 steps): max abs diff logits %.2e, loss terms %.2e, gradients %.2e, "
                + "parameters after each AdamW step (same gradients) %.2e%n", torch.torchVersion(), logitDiff, lossDiff,
                gradDiff, paramDiff);
        assertTrue(logitDiff < 1e-5f, "logits differ by " + logitDiff);
        assertTrue(lossDiff < 1e-5f, "loss terms differ by " + lossDiff);
        assertTrue(gradDiff < 1e-6f, "gradients differ by " + gradDiff);
        assertTrue(paramDiff < 1e-6f, "parameters differ by " + paramDiff);
    }

    /** The benchmark's two measurements run on tiny shapes: same tokens counted, both engines report. */
    @Test
    void benchmarkTimesBothEnginesOnTheSameBatches() throws Exception {
        TrainingBenchmark.Setup setup = new TrainingBenchmark.Setup(Gpt2Config.of(1, 32, 2, 16, VOCAB), 16, 2, 4, 1, 2, 1, 7);
        TrainingBenchmark.Measurement djl = TrainingBenchmark.djl(setup);
        TrainingBenchmark.Measurement torch = TrainingBenchmark.torch(setup);
        assertEquals(2 * 2 * 16, djl.tokens());
        assertEquals(djl.tokens(), torch.tokens());
        assertEquals(1, torch.threads());
        assertTrue(djl.seconds() > 0 && torch.seconds() > 0 && torch.cpuSeconds() > 0, djl + " " + torch);
        assertTrue(torch.engine().startsWith("PyTorch ") && torch.engine().endsWith(" eager"), torch.engine());
    }
}

package dev.memdec.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DistillationLossTest {

    private static final int VOCAB = 11;

    /** Two windows of different lengths, a skipped position, a duplicate kNN id and a zero probability. */
    private static List<KnnWindow> windows() {
        KnnWindow a = new KnnWindow(new int[] {1, 4, 2, 9, 0}, new int[] {0, 2, 3}, new int[] {0, 3, 4, 7},
                new int[] {4, 5, 4, 9, 0, 1, 2}, new float[] {0.5f, 0.25f, 0.125f, 0.7f, 0.2f, 0f, 0.3f});
        KnnWindow b = new KnnWindow(new int[] {3, 3, 7}, new int[] {1}, new int[] {0, 2},
                new int[] {7, 10}, new float[] {0.9f, 0.05f});
        return List.of(a, b);
    }

    /** The same formula in plain Java doubles, on dense distributions. */
    private static double[] reference(float[] logits, int seq, List<KnnWindow> windows, double beta) {
        double kl = 0;
        double ce = 0;
        int n = 0;
        for (int i = 0; i < windows.size(); i++) {
            KnnWindow w = windows.get(i);
            for (int r = 0; r < w.scored().length; r++, n++) {
                int base = (i * seq + w.scored()[r]) * VOCAB;
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < VOCAB; v++) {
                    max = Math.max(max, logits[base + v]);
                }
                double z = 0;
                for (int v = 0; v < VOCAB; v++) {
                    z += Math.exp(logits[base + v] - max);
                }
                double[] logq = new double[VOCAB];
                for (int v = 0; v < VOCAB; v++) {
                    logq[v] = logits[base + v] - max - Math.log(z);
                }
                double[] p = new double[VOCAB];
                double mass = 0;
                for (int j = w.offsets()[r]; j < w.offsets()[r + 1]; j++) {
                    p[w.ids()[j]] += w.probs()[j];
                    mass += w.probs()[j];
                }
                for (int v = 0; v < VOCAB; v++) {
                    double pv = p[v] / mass;
                    if (pv > 0) {
                        kl += pv * (Math.log(pv) - logq[v]);
                    }
                }
                ce -= logq[w.label(r)];
            }
        }
        kl /= n;
        ce /= n;
        return new double[] {beta * kl + (1 - beta) * ce, kl, ce};
    }

    @Test
    void matchesPlainJavaFormula() {
        List<KnnWindow> windows = windows();
        int seq = 5;
        float[] logits = new float[2 * seq * VOCAB];
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (random.nextGaussian() * 3);
        }
        for (float beta : new float[] {0.5f, 0.25f, 1f}) {
            try (NDManager m = NDManager.newBaseManager("PyTorch")) {
                Batch batch = Batch.pack(m, windows, new int[] {0, 1}, VOCAB, true);
                NDArray x = m.create(logits, new Shape(2, seq, VOCAB));
                DistillationLoss.Terms terms = DistillationLoss.compute(x, batch, beta);
                double[] expected = reference(logits, seq, windows, beta);
                assertEquals(expected[0], terms.totalValue(), 1e-5, "total, beta " + beta);
                assertEquals(expected[1], terms.klValue(), 1e-5, "kl");
                assertEquals(expected[2], terms.ceValue(), 1e-5, "ce");
            }
        }
    }

    @Test
    void betaZeroIsCrossEntropyWithoutKnnRows() {
        List<KnnWindow> windows = windows();
        float[] logits = new float[2 * 5 * VOCAB];
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) random.nextGaussian();
        }
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Batch batch = Batch.pack(m, windows, new int[] {0, 1}, VOCAB, false);
            assertFalse(batch.withKnn());
            DistillationLoss.Terms terms = DistillationLoss.compute(m.create(logits, new Shape(2, 5, VOCAB)), batch, 0f);
            assertEquals(reference(logits, 5, windows, 0)[2], terms.totalValue(), 1e-5);
            assertThrows(IllegalArgumentException.class, () -> DistillationLoss.compute(
                    m.create(logits, new Shape(2, 5, VOCAB)), batch, 0.5f));
        }
    }

    @Test
    void rejectsEmptyKnnRowAndForeignIds() {
        KnnWindow empty = new KnnWindow(new int[] {1, 2, 3}, new int[] {0, 1}, new int[] {0, 1, 2},
                new int[] {2, 3}, new float[] {1f, 0f});
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Batch.pack(m, List.of(empty), new int[] {42}, VOCAB, true));
            assertEquals("window 42: kNN row 1 has no probability mass, so it cannot be renormalised", e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> Batch.pack(m, List.of(KnnWindow.plain(new int[] {1, VOCAB})), new int[] {0}, VOCAB, false));
        }
    }
}

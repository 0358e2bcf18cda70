package dev.memdec.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReplayWindowsTest {

    private static final int VOCAB = 13;

    /** {@code n} windows of 4 tokens; window i starts with token {@code first + i}; with or without kNN targets. */
    private static TrainingWindows windows(int n, int first, boolean knn, int vocab) {
        return new TrainingWindows() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public KnnWindow window(int index) {
                int[] tokens = {(first + index) % VOCAB, 1, 2, 3};
                return knn ? new KnnWindow(tokens, new int[] {1, 2}, new int[] {0, 2, 3}, new int[] {2, 5, 3},
                        new float[] {0.5f, 0.5f, 1f}) : KnnWindow.plain(tokens);
            }

            @Override
            public int vocab() {
                return vocab;
            }

            @Override
            public String fingerprint() {
                return "test" + first;
            }
        };
    }

    @Test
    void interleavesReplayedWindowsEvenlyOverTheGeneralText() {
        ReplayWindows r = new ReplayWindows(windows(4, 0, true, VOCAB), windows(10, 5, false, VOCAB), 0.5);
        assertEquals(2, r.replayed());
        assertEquals(6, r.size());
        // domain 0, 1, general, domain 2, 3, general; the two general windows are 0 and 5 of 10 (even stride)
        int[] firstTokens = new int[6];
        boolean[] knn = new boolean[6];
        for (int i = 0; i < 6; i++) {
            firstTokens[i] = r.window(i).tokens()[0];
            knn[i] = r.window(i).scored().length == 2;
        }
        assertArrayEquals(new int[] {0, 1, 5, 2, 3, 10}, firstTokens);
        assertArrayEquals(new boolean[] {true, true, false, true, true, false}, knn);
        assertTrue(r.fingerprint().contains("replay(2 of test5)"), r.fingerprint());
    }

    @Test
    void ratioZeroIsTheDomainAloneAndReplayIsCappedByTheGeneralText() {
        TrainingWindows domain = windows(3, 0, true, VOCAB);
        ReplayWindows none = new ReplayWindows(domain, windows(10, 5, false, VOCAB), 0);
        assertEquals(3, none.size());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(domain.window(i).tokens(), none.window(i).tokens());
        }
        ReplayWindows capped = new ReplayWindows(domain, windows(2, 5, false, VOCAB), 4);
        assertEquals(2, capped.replayed());
        assertEquals(5, capped.size());
    }

    @Test
    void refusesBadRatiosAndBoundsBothVocabularies() {
        TrainingWindows domain = windows(3, 0, true, VOCAB);
        assertThrows(IllegalArgumentException.class, () -> new ReplayWindows(domain, windows(3, 0, false, VOCAB), -1));
        assertThrows(IllegalArgumentException.class,
                () -> new ReplayWindows(domain, windows(3, 0, false, VOCAB), Double.NaN));
        // the bound covers both sequences (a datastore may bound its ids tighter than the tokenizer)
        assertEquals(VOCAB + 1, new ReplayWindows(domain, windows(3, 0, false, VOCAB + 1), 1).vocab());
    }

    @Test
    void labelTargetsMakeTheKlTermEqualCrossEntropy() {
        KnnWindow w = KnnWindow.labelTargets(new int[] {4, 7, 7, 1, 12});
        assertTrue(w.hasKnnTargets());
        assertArrayEquals(new int[] {7, 7, 1, 12}, w.ids());
        float[] logits = new float[w.scored().length * VOCAB];
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (random.nextGaussian() * 2);
        }
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Batch batch = Batch.pack(m, List.of(w), new int[] {0}, VOCAB, true);
            NDArray x = m.create(logits, new Shape(w.scored().length, VOCAB));
            DistillationLoss.Terms t = DistillationLoss.computeScored(x, batch, 0.5f);
            assertFalse(t.ceValue() <= 0);
            assertEquals(t.ceValue(), t.klValue(), 1e-5);
            assertEquals(t.ceValue(), t.totalValue(), 1e-5);
        }
    }
}

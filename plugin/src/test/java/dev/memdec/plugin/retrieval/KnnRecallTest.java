package dev.memdec.plugin.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.natives.faiss.FaissIndex;
import dev.memdec.natives.faiss.Neighbours;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnnRecallTest {

    @TempDir
    Path tmp;

    @Test
    void recallDropsTheQueryItselfAndPaddingThenCountsTheOverlap() {
        // query 0 is row 5: exact {1, 2, 3}, approximate {7, 1, 3} -> 2 of 3
        // query 1 is row 9: exact {2, 4} (FAISS padded with -1), approximate {4, 2, 8} -> 2 of 2
        Neighbours exact = new Neighbours(2, 4, new float[8], new long[] {5, 1, 2, 3, 2, 9, 4, -1});
        Neighbours approx = new Neighbours(2, 4, new float[8], new long[] {7, 1, 5, 3, 4, 2, 8, 9});
        assertEquals(4 / 5.0, KnnRecall.recall(exact, approx, new long[] {5, 9}, 3), 1e-12);
        assertEquals(1.0, KnnRecall.recall(exact, exact, new long[] {5, 9}, 3), 1e-12);
        // k = 1: {1} vs {7} and {2} vs {4}; with the query counted, query 0 would have matched 5 with 5
        assertEquals(0.0, KnnRecall.recall(exact, approx, new long[] {5, 9}, 1), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> KnnRecall.recall(exact, approx, new long[] {5}, 3));
    }

    @Test
    void exactIndexHasRecallOneAndIvfPqImprovesWithNprobe() throws IOException {
        int d = 16;
        try (Datastore ds = TestDatastores.large(tmp.resolve("ds"), d, 4000, 50)) {
            try (FaissIndex flat = KnnBuilder.buildIndex(ds, new IndexPlan(IndexType.FLAT, "Flat", 0))) {
                KnnRecall.Report r = KnnRecall.measure(ds, flat, 200, 10, new int[] {0});
                assertEquals(200, r.queries());
                assertEquals(10, r.k());
                assertEquals(1.0, r.points().getFirst().recall(), 1e-12);
            }
            try (FaissIndex ivf = KnnBuilder.buildIndex(ds, new IndexPlan(IndexType.IVFPQ, "IVF32,PQ4", 4000))) {
                KnnRecall.Report r = KnnRecall.measure(ds, ivf, 200, 10, new int[] {1, 32});
                double one = r.points().get(0).recall();
                double all = r.points().get(1).recall();
                assertEquals(1, r.points().get(0).nprobe());
                assertTrue(one > 0 && one < all, "recall at nprobe 1 (" + one + ") below nprobe 32 (" + all + ")");
                assertTrue(all < 1, "PQ codes are lossy: recall at every list " + all + " < 1");
            }
            try (FaissIndex flat = KnnBuilder.buildIndex(ds, new IndexPlan(IndexType.FLAT, "Flat", 0))) {
                assertThrows(IllegalArgumentException.class, () -> KnnRecall.measure(ds, flat, 10, 4000, new int[] {0}));
                assertThrows(IllegalArgumentException.class, () -> KnnRecall.measure(ds, flat, 0, 10, new int[] {0}));
            }
        }
    }
}

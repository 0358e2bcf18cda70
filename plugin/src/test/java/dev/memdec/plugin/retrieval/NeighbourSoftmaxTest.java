package dev.memdec.plugin.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.memdec.natives.faiss.Neighbours;
import org.junit.jupiter.api.Test;

class NeighbourSoftmaxTest {

    /** Neighbour id i has value 10 + i % 3. */
    static int value(long id) {
        return (int) (10 + id % 3);
    }

    @Test
    void selfIsExcludedByIdWhereverItRanks() {
        // query 7 has an exact duplicate (id 4) ranked before itself: a positional "drop rank 0" would keep id 7
        Neighbours nb = new Neighbours(1, 5, new float[] {0f, 0f, 1f, 2f, 3f}, new long[] {4, 7, 5, 6, 8});
        NeighbourSoftmax s = new NeighbourSoftmax(20, 5, 1.0, 0, ProbType.F32);
        SparseDistribution d = s.compute(7, nb, 0, 3, NeighbourSoftmaxTest::value);
        // used: ids 4 (d=0, value 11), 5 (d=1, value 12), 6 (d=2, value 10); id 8 is beyond k=3
        double z = 1 + Math.exp(-1) + Math.exp(-2);
        assertArrayEquals(new int[] {11, 12, 10}, d.tokens());
        assertArrayEquals(new float[] {(float) (1 / z), (float) (Math.exp(-1) / z), (float) (Math.exp(-2) / z)},
                d.probs(), 1e-6f);
    }

    @Test
    void sameTokenMassIsSummedAndMissingNeighboursSkipped() {
        Neighbours nb = new Neighbours(1, 4, new float[] {0f, 0f, 0f, Float.MAX_VALUE}, new long[] {1, 4, 2, -1});
        NeighbourSoftmax s = new NeighbourSoftmax(20, 4, 16.0, 0, ProbType.F16);
        SparseDistribution d = s.compute(9, nb, 0, 4, NeighbourSoftmaxTest::value);
        assertArrayEquals(new int[] {11, 12}, d.tokens());   // ids 1 and 4 share value 11
        assertArrayEquals(new float[] {2 / 3f, 1 / 3f}, d.probs(), 1e-3f);
        // the scratch array is cleared: a second call sees only its own neighbours
        SparseDistribution again = s.compute(9, new Neighbours(1, 1, new float[] {5f}, new long[] {3}), 0, 4,
                NeighbourSoftmaxTest::value);
        assertArrayEquals(new int[] {10}, again.tokens());
        assertEquals(1f, again.probs()[0]);
    }

    @Test
    void onlySelfFoundIsAnError() {
        NeighbourSoftmax s = new NeighbourSoftmax(20, 2, 1.0, 0, ProbType.F16);
        assertThrows(IllegalStateException.class,
                () -> s.compute(3, new Neighbours(1, 2, new float[] {0f, 0f}, new long[] {3, -1}), 0, 1,
                        NeighbourSoftmaxTest::value));
    }
}

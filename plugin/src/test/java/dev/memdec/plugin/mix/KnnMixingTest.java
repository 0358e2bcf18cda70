package dev.memdec.plugin.mix;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.memdec.plugin.retrieval.KnnDistribution;
import org.junit.jupiter.api.Test;

/** The kNN-LM mixture log((1 − λ)·p_host + λ·p_kNN) and its log floor (reference-spec §5.5, §8.1). */
class KnnMixingTest {

    @Test
    void mixesInProbabilitySpaceWithTheReferenceFloor() {
        KnnDistribution p = new KnnDistribution(new int[] {7, 3}, new double[] {0.75, 0.25});
        assertEquals(0.25, p.probability(3), 0.0);
        assertEquals(0, p.probability(4), 0.0);
        assertEquals(KnnDistribution.LOG_FLOOR, p.logProbability(4), 0.0);
        double host = Math.log(0.1);
        assertEquals(host, KnnDistribution.mixedLogProb(host, p.logProbability(7), 0), 0.0);
        assertEquals(Math.log(0.45 * 0.1 + 0.55 * 0.75), KnnDistribution.mixedLogProb(host, p.logProbability(7), 0.55),
                1e-12);
        // a token no neighbour predicts keeps only the host's share
        assertEquals(Math.log(0.45 * 0.1), KnnDistribution.mixedLogProb(host, p.logProbability(4), 0.55), 1e-12);
        assertEquals(KnnDistribution.LOG_FLOOR, KnnDistribution.mixedLogProb(host, p.logProbability(4), 1), 0.0);
    }
}

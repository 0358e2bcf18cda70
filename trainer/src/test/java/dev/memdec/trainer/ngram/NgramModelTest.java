package dev.memdec.trainer.ngram;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class NgramModelTest {

    private static int[] markovText(int n, int vocab, long seed) {
        // A first-order chain: each token strongly predicts the next, so a bigram must beat a unigram.
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 1; i < n; i++) {
            t[i] = r.nextDouble() < 0.8 ? (t[i - 1] * 7 + 3) % vocab : r.nextInt(vocab);
        }
        return t;
    }

    @Test
    void everyConditionalDistributionSumsToOne() {
        int vocab = 50;
        KneserNeyBigram bigram = KneserNeyBigram.train(markovText(5000, vocab, 1), vocab);
        for (int v = 0; v < vocab; v++) {
            double sum = 0;
            for (int w = 0; w < vocab; w++) {
                double p = bigram.probability(v, w);
                assertTrue(p > 0, "p(" + w + "|" + v + ") must be positive");
                sum += p;
            }
            assertEquals(1.0, sum, 1e-9, "history " + v);
        }
        Unigram unigram = Unigram.train(markovText(5000, vocab, 1), vocab);
        double sum = 0;
        for (int w = 0; w < vocab; w++) {
            sum += unigram.probability(new int[] {w}, 0);
        }
        assertEquals(1.0, sum, 1e-12);
    }

    @Test
    void bigramBeatsUnigramOnHeldOutTextOfAChain() {
        int vocab = 200;
        int[] train = markovText(20_000, vocab, 2);
        int[] test = markovText(5_000, vocab, 3);
        double uni = Unigram.train(train, vocab).perplexity(test);
        double bi = KneserNeyBigram.train(train, vocab).perplexity(test);
        assertTrue(bi < 0.3 * uni, "bigram " + bi + " vs unigram " + uni);
    }

    @Test
    void unigramMatchesItsFormulaAndTargetsSkipTheFirstToken() {
        int[] train = {0, 1, 1, 2, 2, 2};
        Unigram u = Unigram.train(train, 4);
        int[] text = {3, 2, 0};
        double[] p = u.targetProbabilities(text);
        assertEquals(2, p.length);
        assertEquals(4.0 / 10, p[0], 1e-15);
        assertEquals(2.0 / 10, p[1], 1e-15);
        assertEquals(Math.exp(-(Math.log(0.4) + Math.log(0.2)) / 2), u.perplexity(text), 1e-12);
    }

    @Test
    void unseenHistoryFallsBackToTheContinuationDistribution() {
        int[] train = {0, 1, 0, 1, 0, 2};
        KneserNeyBigram b = KneserNeyBigram.train(train, 4);
        // 3 never occurs as a history: its row is the continuation distribution, which favours 1 (two left
        // neighbours? no: one, 0) equal to 2 and above 3 (never seen).
        assertEquals(b.probability(3, 1), b.probability(3, 2), 1e-15);
        assertTrue(b.probability(3, 1) > b.probability(3, 3));
        assertTrue(b.probability(0, 1) > b.probability(0, 2));
    }

    @Test
    void badIdsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KneserNeyBigram.train(new int[] {0, 5}, 4));
        assertTrue(e.getMessage().contains("token 1 has id 5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Unigram.train(new int[] {0}, 2).probability(new int[] {9}, 0));
    }
}

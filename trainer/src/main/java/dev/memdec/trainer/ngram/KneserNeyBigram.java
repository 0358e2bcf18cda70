package dev.memdec.trainer.ngram;

import java.util.Arrays;

/**
 * Interpolated Kneser-Ney bigram (Chen &amp; Goodman's formulation, one absolute discount per order):
 * <pre>
 *   p(w | v)  = max(c(v w) − D2, 0) / c(v) + D2 · N1+(v •) / c(v) · p_cont(w)       (p_cont(w) when c(v) = 0)
 *   p_cont(w) = max(N1+(• w) − D1, 0) / N1+(• •) + D1 · |{w : N1+(• w) > 0}| / N1+(• •) · 1 / V
 * </pre>
 * where c counts the training stream, N1+(• w) is the number of distinct left neighbours of w, and each discount
 * is D = n1 / (n1 + 2·n2) from that order's counts of counts (n1 events seen once, n2 twice). Every probability is
 * positive and each conditional distribution sums to 1.
 */
public final class KneserNeyBigram implements NgramModel {

    private final int vocab;
    /** Bigram counts per history v: the distinct next tokens (sorted) and their counts. */
    private final int[][] next;
    private final int[][] nextCount;
    private final long[] historyCount;
    private final double[] continuation;
    private final double d2;

    private KneserNeyBigram(int vocab, int[][] next, int[][] nextCount, long[] historyCount, double[] continuation,
                            double d2) {
        this.vocab = vocab;
        this.next = next;
        this.nextCount = nextCount;
        this.historyCount = historyCount;
        this.continuation = continuation;
        this.d2 = d2;
    }

    /** Counts the training stream {@code tokens} over a vocabulary of {@code vocab} ids. */
    public static KneserNeyBigram train(int[] tokens, int vocab) {
        NgramModel.counts(tokens, vocab);   // checks the ids
        if (tokens.length < 2) {
            throw new IllegalArgumentException("a bigram needs at least 2 training tokens, got " + tokens.length);
        }
        long[] pairs = new long[tokens.length - 1];
        for (int i = 0; i + 1 < tokens.length; i++) {
            pairs[i] = ((long) tokens[i] << 32) | tokens[i + 1];
        }
        Arrays.sort(pairs);
        int[] distinctNext = new int[vocab];
        int[] leftNeighbours = new int[vocab];
        long[] historyCount = new long[vocab];
        long n1 = 0;
        long n2 = 0;
        for (int i = 0; i < pairs.length; ) {
            int j = i;
            while (j < pairs.length && pairs[j] == pairs[i]) {
                j++;
            }
            int v = (int) (pairs[i] >>> 32);
            int w = (int) pairs[i];
            distinctNext[v]++;
            leftNeighbours[w]++;
            historyCount[v] += j - i;
            n1 += j - i == 1 ? 1 : 0;
            n2 += j - i == 2 ? 1 : 0;
            i = j;
        }
        int[][] next = new int[vocab][];
        int[][] nextCount = new int[vocab][];
        for (int v = 0; v < vocab; v++) {
            next[v] = new int[distinctNext[v]];
            nextCount[v] = new int[distinctNext[v]];
        }
        int[] fill = new int[vocab];
        for (int i = 0; i < pairs.length; ) {
            int j = i;
            while (j < pairs.length && pairs[j] == pairs[i]) {
                j++;
            }
            int v = (int) (pairs[i] >>> 32);
            next[v][fill[v]] = (int) pairs[i];
            nextCount[v][fill[v]++] = j - i;
            i = j;
        }
        double d2 = discount(n1, n2);
        // Continuation counts: N1+(• w); their own counts of counts give the lower order's discount.
        long types = 0;
        long c1 = 0;
        long c2 = 0;
        long seenTypes = 0;
        for (int w = 0; w < vocab; w++) {
            types += leftNeighbours[w];
            c1 += leftNeighbours[w] == 1 ? 1 : 0;
            c2 += leftNeighbours[w] == 2 ? 1 : 0;
            seenTypes += leftNeighbours[w] > 0 ? 1 : 0;
        }
        double d1 = discount(c1, c2);
        double[] continuation = new double[vocab];
        for (int w = 0; w < vocab; w++) {
            continuation[w] = Math.max(leftNeighbours[w] - d1, 0) / types + d1 * seenTypes / types / vocab;
        }
        return new KneserNeyBigram(vocab, next, nextCount, historyCount, continuation, d2);
    }

    /** D = n1 / (n1 + 2·n2), kept inside (0, 1) for degenerate counts. */
    private static double discount(long n1, long n2) {
        if (n1 == 0) {
            return 0.5;
        }
        return Math.min(0.95, Math.max(0.05, n1 / (n1 + 2.0 * n2)));
    }

    /** p(w | v) for ids in the vocabulary. */
    public double probability(int v, int w) {
        if (v < 0 || v >= vocab || w < 0 || w >= vocab) {
            throw new IllegalArgumentException("token ids (" + v + ", " + w + ") outside the vocabulary [0, " + vocab
                    + ")");
        }
        long c = historyCount[v];
        if (c == 0) {
            return continuation[w];
        }
        int k = Arrays.binarySearch(next[v], w);
        double seen = k >= 0 ? Math.max(nextCount[v][k] - d2, 0) / c : 0;
        return seen + d2 * next[v].length / c * continuation[w];
    }

    @Override
    public double probability(int[] tokens, int i) {
        if (i < 1) {
            throw new IllegalArgumentException("a bigram scores tokens from index 1 on, got " + i);
        }
        return probability(tokens[i - 1], tokens[i]);
    }

    @Override
    public String describe() {
        return String.format(java.util.Locale.ROOT, "bigram, interpolated Kneser-Ney (D = %.3f)", d2);
    }
}

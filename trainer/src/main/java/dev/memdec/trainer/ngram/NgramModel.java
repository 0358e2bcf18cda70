package dev.memdec.trainer.ngram;

/**
 * A count-based language model over token ids: the cheap baseline a skeptic runs first. It scores the same targets
 * as the sliding-window perplexity of a neural model ({@link dev.memdec.converter.eval.SlidingWindows}: every
 * token but the first), each from the tokens before it.
 */
public interface NgramModel {

    /** p(tokens[i] | tokens[0..i)), always > 0. */
    double probability(int[] tokens, int i);

    /** A short description for tables: order and smoothing. */
    String describe();

    /** p of every target {@code tokens[1..n)}, in order. */
    default double[] targetProbabilities(int[] tokens) {
        double[] p = new double[Math.max(0, tokens.length - 1)];
        for (int i = 1; i < tokens.length; i++) {
            p[i - 1] = probability(tokens, i);
        }
        return p;
    }

    /** exp(mean −log p) over the targets {@code tokens[1..n)}. */
    default double perplexity(int[] tokens) {
        if (tokens.length < 2) {
            throw new IllegalArgumentException("perplexity needs at least 2 tokens, got " + tokens.length);
        }
        double nll = 0;
        for (int i = 1; i < tokens.length; i++) {
            nll -= Math.log(probability(tokens, i));
        }
        return Math.exp(nll / (tokens.length - 1));
    }

    /** Counts {@code tokens}, checking every id against the vocabulary. */
    static long[] counts(int[] tokens, int vocab) {
        if (vocab < 1) {
            throw new IllegalArgumentException("vocabulary size must be >= 1, got " + vocab);
        }
        long[] c = new long[vocab];
        for (int i = 0; i < tokens.length; i++) {
            int t = tokens[i];
            if (t < 0 || t >= vocab) {
                throw new IllegalArgumentException("token " + i + " has id " + t + ", outside the vocabulary [0, "
                        + vocab + ")");
            }
            c[t]++;
        }
        return c;
    }
}

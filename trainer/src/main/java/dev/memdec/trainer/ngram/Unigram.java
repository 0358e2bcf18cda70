package dev.memdec.trainer.ngram;

/** Add-one (Laplace) unigram: p(w) = (c(w) + 1) / (N + V), the same for every history. */
public final class Unigram implements NgramModel {

    private final double[] p;

    private Unigram(double[] p) {
        this.p = p;
    }

    /** Counts the training stream {@code tokens} over a vocabulary of {@code vocab} ids. */
    public static Unigram train(int[] tokens, int vocab) {
        long[] c = NgramModel.counts(tokens, vocab);
        double denominator = tokens.length + (double) vocab;
        double[] p = new double[vocab];
        for (int w = 0; w < vocab; w++) {
            p[w] = (c[w] + 1) / denominator;
        }
        return new Unigram(p);
    }

    @Override
    public double probability(int[] tokens, int i) {
        int w = tokens[i];
        if (w < 0 || w >= p.length) {
            throw new IllegalArgumentException("token " + i + " has id " + w + ", outside the vocabulary [0, "
                    + p.length + ")");
        }
        return p[w];
    }

    @Override
    public String describe() {
        return "unigram, add-one";
    }
}

package dev.memdec.plugin.retrieval;

/** One entry's kNN distribution: token ids sorted by probability, descending (ties: smaller id first). */
public record SparseDistribution(int[] tokens, float[] probs) {

    public int size() {
        return tokens.length;
    }

    public double sum() {
        double s = 0;
        for (float p : probs) {
            s += p;
        }
        return s;
    }
}

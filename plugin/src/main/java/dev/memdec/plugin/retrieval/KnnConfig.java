package dev.memdec.plugin.retrieval;

/**
 * Settings of a kNN-distribution run; validated here so the command and library share the limits.
 *
 * @param k           neighbours per entry, the entry itself excluded (reference: 1024; capped at count − 1)
 * @param temperature T in softmax(−d/T) over squared L2 distances (reference: 16)
 * @param threshold   tokens with p ≤ threshold are dropped, then the row is renormalised (0 keeps all)
 * @param index       index choice
 * @param nprobe      inverted lists visited per IVF search (reference: 32)
 * @param trainSize   at most this many keys train an IVF-PQ index (reference: 1,000,000)
 * @param probType    stored precision of the probabilities
 */
public record KnnConfig(int k, double temperature, double threshold, IndexType index, int nprobe, int trainSize,
                        ProbType probType) {

    public static final int MAX_K = 16_384;

    public KnnConfig {
        if (k < 1 || k > MAX_K) {
            throw new IllegalArgumentException("--k must be in [1, " + MAX_K + "], got " + k);
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("--temp must be a positive finite number, got " + temperature);
        }
        if (!(threshold >= 0 && threshold < 1)) {
            throw new IllegalArgumentException("--threshold must be in [0, 1), got " + threshold);
        }
        if (nprobe < 1) {
            throw new IllegalArgumentException("--nprobe must be positive, got " + nprobe);
        }
        if (trainSize < 1) {
            throw new IllegalArgumentException("--train-size must be positive, got " + trainSize);
        }
        if (index == null || probType == null) {
            throw new IllegalArgumentException("index and probability type are required");
        }
    }

    /** The reference pipeline's settings (MEMDEC save_pipeline.sh): k 1024, T 16, all non-zero tokens, nprobe 32. */
    public static KnnConfig defaults() {
        return new KnnConfig(1024, 16, 0, IndexType.AUTO, 32, 1_000_000, ProbType.F16);
    }
}

package dev.memdec.plugin.retrieval;

/**
 * The concrete FAISS index for a datastore: its type, factory string and training sample size.
 *
 * @param type      {@link IndexType#FLAT} or {@link IndexType#IVFPQ}
 * @param factory   faiss factory string (before {@code FaissIndex.normalizeFactory})
 * @param trainSize keys to train on (0 for flat)
 */
public record IndexPlan(IndexType type, String factory, int trainSize) {

    /** Below this many entries exact search is cheap enough and IVF-PQ's training has too little data. */
    public static final long AUTO_FLAT_BELOW = 100_000;
    /** The reference's list count (§4.1) is the ceiling; smaller datastores get about 4·√N lists. */
    static final int MAX_LISTS = 4096;
    /** The reference's code size: 64 sub-quantizers of 8 bits (§4.1); smaller when d has no such divisor. */
    static final int MAX_PQ_M = 64;
    /** faiss wants at least 39 training points per centroid. */
    static final int POINTS_PER_LIST = 39;

    public static IndexPlan choose(IndexType requested, long count, int dimension, int maxTrain) {
        IndexType type = requested == IndexType.AUTO
                ? (count < AUTO_FLAT_BELOW ? IndexType.FLAT : IndexType.IVFPQ) : requested;
        if (type == IndexType.FLAT) {
            return new IndexPlan(IndexType.FLAT, "Flat", 0);
        }
        long train = Math.min(count, maxTrain);
        // Power of two near 4·√N, capped so every list gets its 39 training points (and PQ's 256 codes get data).
        long lists = Math.min((long) (4 * Math.sqrt(count)), Math.min(MAX_LISTS, train / POINTS_PER_LIST));
        lists = Long.highestOneBit(lists);
        if (lists < 1 || train < 256) {
            throw new IllegalArgumentException("--index ivfpq needs at least " + Math.max(256, POINTS_PER_LIST)
                    + " training keys, the datastore has " + count + " entries and --train-size is " + maxTrain
                    + "; use --index flat");
        }
        int m = 1;
        for (int c = Math.min(MAX_PQ_M, dimension); c >= 1; c--) {
            if (dimension % c == 0) {
                m = c;
                break;
            }
        }
        return new IndexPlan(IndexType.IVFPQ, "IVF" + lists + ",PQ" + m, (int) train);
    }
}

package dev.memdec.plugin.retrieval;

import dev.memdec.natives.faiss.Neighbours;
import java.util.Arrays;
import java.util.function.LongToIntFunction;

/**
 * Turns one query's neighbours into p_kNN (reference-spec §5.3): w_j = softmax(−d_j/T), summed per token id.
 *
 * <p>Self-exclusion is by id, not by rank (unlike the reference's "drop column 0", §5.2): the query's own id is
 * skipped wherever it appears, so exact duplicates or PQ error cannot leak the entry's own value into its target,
 * and a query that is missing from its own results does not lose a genuine neighbour.
 *
 * <p>Tokens with p ≤ threshold, and tokens whose stored value would round to 0, are dropped and the rest is
 * renormalised so the stored row sums to 1 up to rounding; the most probable token is always kept.
 * Not thread-safe: it keeps a dense scratch array of vocabulary size.
 */
final class NeighbourSoftmax {

    private final double[] mass;
    private final int[] touched;
    private final double temperature;
    private final double threshold;
    private final ProbType probType;

    NeighbourSoftmax(int vocabSize, int maxNeighbours, double temperature, double threshold, ProbType probType) {
        this.mass = new double[vocabSize];
        this.touched = new int[maxNeighbours];
        this.temperature = temperature;
        this.threshold = threshold;
        this.probType = probType;
    }

    private static float probability(long sortKey) {
        return Float.intBitsToFloat(Integer.MAX_VALUE - (int) (sortKey >>> 32));
    }

    /**
     * @param self    the query's own id, excluded
     * @param k       neighbours to use (the nearest ones other than {@code self})
     * @param valueOf next-token id of a neighbour id
     */
    SparseDistribution compute(long self, Neighbours nb, int query, int k, LongToIntFunction valueOf) {
        int used = 0;
        double dmin = Double.POSITIVE_INFINITY;
        for (int r = 0; r < nb.k() && used < k; r++) {
            long id = nb.id(query, r);
            if (id >= 0 && id != self) {
                dmin = Math.min(dmin, nb.distance(query, r));
                used++;
            }
        }
        if (used == 0) {
            throw new IllegalStateException("entry " + self + ": the index returned no neighbour other than the entry "
                    + "itself; raise --nprobe or use --index flat");
        }
        int distinct = 0;
        double total = 0;
        used = 0;
        for (int r = 0; r < nb.k() && used < k; r++) {
            long id = nb.id(query, r);
            if (id < 0 || id == self) {
                continue;
            }
            used++;
            // Shifting by the smallest distance keeps exp() in range; softmax is invariant to it.
            double w = Math.exp(-(nb.distance(query, r) - dmin) / temperature);
            int token = valueOf.applyAsInt(id);
            if (mass[token] == 0) {
                touched[distinct++] = token;
            }
            mass[token] += w;
            total += w;
        }
        // Sort key: probability descending (as float bits, which order like the values for positives), then token
        // ascending; a primitive sort keeps this off the allocation path.
        long[] order = new long[distinct];
        for (int i = 0; i < distinct; i++) {
            int token = touched[i];
            float p = (float) (mass[token] / total);
            order[i] = ((long) (Integer.MAX_VALUE - Float.floatToIntBits(p)) << 32) | token;
            mass[token] = 0;
        }
        Arrays.sort(order);
        int kept = 0;
        double keptMass = 0;
        for (int i = 0; i < distinct; i++) {
            double q = probability(order[i]);
            if (i > 0 && (q <= threshold || probType.round(q) == 0)) {
                break;   // sorted descending: everything after is smaller
            }
            kept++;
            keptMass += q;
        }
        int[] tokens = new int[kept];
        float[] probs = new float[kept];
        for (int i = 0; i < kept; i++) {
            tokens[i] = (int) order[i];
            probs[i] = probType.round(probability(order[i]) / keptMass);
        }
        return new SparseDistribution(tokens, probs);
    }
}

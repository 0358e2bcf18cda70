package dev.memdec.plugin.retrieval;

import dev.memdec.converter.eval.LogSpace;
import java.util.Arrays;

/**
 * One query's kNN next-token distribution (reference-spec §5.3): p_kNN(y) = Σ_j softmax(−d_j/T)·[v_j = y] over its
 * neighbours, kept sparse (only tokens some neighbour predicts).
 *
 * @param tokens distinct token ids
 * @param probs  their probabilities, summing to 1 (empty when the index returned no neighbour)
 */
public record KnnDistribution(int[] tokens, double[] probs) {

    /** log p_kNN of a token no neighbour predicts, as the reference's kNN-LM writes it (§5.5). */
    public static final double LOG_FLOOR = -10000;

    public KnnDistribution {
        if (tokens.length != probs.length) {
            throw new IllegalArgumentException(tokens.length + " tokens but " + probs.length + " probabilities");
        }
    }

    /** p_kNN(token), 0 when no neighbour predicts it. */
    public double probability(int token) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] == token) {
                return probs[i];
            }
        }
        return 0;
    }

    /** log p_kNN(token) with zero mass floored at {@link #LOG_FLOOR}. */
    public double logProbability(int token) {
        double p = probability(token);
        return p > 0 ? Math.log(p) : LOG_FLOOR;
    }

    /**
     * log((1 − λ)·p_host + λ·p_kNN) computed in log space; at λ = 0 exactly {@code hostLogProb}, at λ = 1 the floored
     * log p_kNN.
     */
    public static double mixedLogProb(double hostLogProb, double knnLogProb, double lambda) {
        return LogSpace.mix(hostLogProb, knnLogProb, lambda);
    }

    @Override
    public String toString() {
        return "KnnDistribution" + Arrays.toString(tokens) + Arrays.toString(probs);
    }
}

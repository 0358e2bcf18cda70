package dev.memdec.plugin;

import java.util.List;

/**
 * Perplexity of a text under the host alone and mixed with a memory at several λ (one decode per window and
 * model; every λ is evaluated from the same logits).
 *
 * @param tokens   scored tokens
 * @param windows  windows decoded
 * @param hostNll  summed negative log-likelihood (nats) under the host alone
 * @param joint    one entry per λ, in the order asked; empty without a memory
 * @param knn      the host mixed with live kNN retrieval (kNN-LM), one entry per λ ({@code memoryTemperature} is
 *                 the kNN softmax temperature T); empty without a retriever
 */
public record PerplexityReport(long tokens, int windows, double hostNll, List<Joint> joint, List<Joint> knn) {

    /**
     * The mixed model at one λ.
     *
     * @param lambda            λ
     * @param memoryTemperature T_mem
     * @param nll               summed negative log-likelihood (nats)
     * @param ppl               exp(nll / tokens)
     */
    public record Joint(double lambda, double memoryTemperature, double nll, double ppl) {
    }

    public PerplexityReport {
        joint = List.copyOf(joint);
        knn = List.copyOf(knn);
    }

    /** A report without kNN-LM rows. */
    public PerplexityReport(long tokens, int windows, double hostNll, List<Joint> joint) {
        this(tokens, windows, hostNll, joint, List.of());
    }

    /** exp(mean NLL) of the host alone. */
    public double hostPpl() {
        return Math.exp(hostNll / tokens);
    }

    /** The entry with the lowest perplexity, if any. */
    public java.util.Optional<Joint> best() {
        return joint.stream().min(java.util.Comparator.comparingDouble(Joint::ppl));
    }
}

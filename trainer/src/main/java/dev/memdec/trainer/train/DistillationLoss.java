package dev.memdec.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.NDManager;
import dev.memdec.trainer.model.OwnedArrays;

/**
 * The Memory Decoder loss (reference-spec §6.3) on the scored positions of a {@link Batch}:
 * L = β·KL(p_kNN ‖ p_mem) + (1−β)·CE, where KL = Σ_rows Σ_y p_kNN(y)·(log p_kNN(y) − log_softmax(logits)(y)) / N
 * with renormalised p_kNN and 0·log 0 = 0, and CE = Σ_rows −log_softmax(logits)(label) / N.
 * The Σ p·log p part has no gradient and is added as a precomputed constant. Every factor is an NDArray
 * (never a Java {@code Number}) so autograd never sees a freed scalar (dependencies.md §1.5).
 */
public final class DistillationLoss {

    /** The loss terms of one batch; {@code kl} is null when the batch has no kNN targets (β = 0). */
    public record Terms(NDArray total, NDArray kl, NDArray ce) {
        public float totalValue() {
            return total.getFloat();
        }

        public float klValue() {
            return kl == null ? Float.NaN : kl.getFloat();
        }

        public float ceValue() {
            return ce.getFloat();
        }
    }

    private DistillationLoss() {
    }

    /**
     * Computes the loss of {@code logits} [B, T, V] against {@code batch}; with {@code beta} 0 the batch may
     * lack kNN rows and the loss is plain cross-entropy.
     */
    public static Terms compute(NDArray logits, Batch batch, float beta) {
        long vocab = logits.getShape().get(2);
        return computeScored(logits.reshape(-1, vocab).get(new NDIndex("{}", batch.rows())), batch, beta);
    }

    /** As {@link #compute}, from the logits [N, V] of the batch's scored positions in its row order. */
    public static Terms computeScored(NDArray scoredLogits, Batch batch, float beta) {
        if (!(beta >= 0f && beta <= 1f)) {
            throw new IllegalArgumentException("beta must be in [0, 1], got " + beta);
        }
        NDManager m = scoredLogits.getManager();
        NDArray logq = scoredLogits.logSoftmax(-1);
        NDArray invN = OwnedArrays.scalar(m, 1f / batch.scoredTokens());
        NDArray ce = logq.gather(batch.labels(), 1).sum().neg().mul(invN);
        if (beta == 0f) {
            return new Terms(ce, null, ce);
        }
        if (batch.knnIds() == null) {
            throw new IllegalArgumentException("beta " + beta + " > 0 needs a batch packed with kNN targets");
        }
        NDArray cross = logq.gather(batch.knnIds(), 1).mul(batch.knnProbs()).sum();
        NDArray meanNegEntropy = OwnedArrays.scalar(m, (float) (batch.knnNegEntropy() / batch.scoredTokens()));
        NDArray kl = meanNegEntropy.sub(cross.mul(invN));
        NDArray total = kl.mul(OwnedArrays.scalar(m, beta)).add(ce.mul(OwnedArrays.scalar(m, 1f - beta)));
        return new Terms(total, kl, ce);
    }
}

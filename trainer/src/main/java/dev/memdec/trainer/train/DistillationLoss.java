package dev.memdec.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.core.Linear;
import dev.memdec.trainer.model.OwnedArrays;

/**
 * The Memory Decoder loss (reference-spec §6.3) on the scored positions of a {@link Batch}:
 * L = β·KL(p_kNN ‖ p_mem) + (1−β)·CE, where KL = Σ_rows Σ_y p_kNN(y)·(log p_kNN(y) − log_softmax(logits)(y)) / N
 * with renormalised p_kNN and 0·log 0 = 0, and CE = Σ_rows −log_softmax(logits)(label) / N.
 * The Σ p·log p part has no gradient and is added as a precomputed constant. Every factor is an NDArray
 * (never a Java {@code Number}) so autograd never sees a freed scalar (dependencies.md §1.5).
 *
 * <p>Two exact forms. {@link #computeScored} differentiates through a log-softmax of the logits (any logits).
 * {@link #computeFused} is the training path: with w = β·p_kNN + (1−β)·onehot(label) (weights summing to 1 per row)
 * and lse the row's log-sum-exp, L = β·Σp·log p / N + Σ_rows (lse − Σ_y w(y)·z(y)) / N, which needs only the logits
 * at the batch's sparse (row, id) pairs and lse; and ∂L/∂z = (softmax(z) − w) / N. It computes that gradient in one
 * [N, vocab] buffer outside autograd (the softmax of the logits, the pairs' weights subtracted in place) and hands
 * autograd the head's two products instead of a graph through the [N, vocab] logits, so a large vocabulary costs
 * the three head matrix products and two [N, vocab] buffers (logits, softmax) instead of a chain of [N, vocab] copies.
 */
public final class DistillationLoss {

    /**
     * The loss terms of one batch; {@code kl} is null when the batch has no kNN targets (β = 0). {@code backward} is
     * what to call {@code backward} on: {@code total} itself, or for the fused form a surrogate whose gradients are
     * the loss's (its value is not the loss).
     */
    public record Terms(NDArray total, NDArray kl, NDArray ce, NDArray backward) {
        public Terms(NDArray total, NDArray kl, NDArray ce) {
            this(total, kl, ce, total);
        }

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

    /** As {@link #compute}, from the logits [N, V] of the batch's scored positions in its row order (autograd form). */
    public static Terms computeScored(NDArray scoredLogits, Batch batch, float beta) {
        checkBeta(batch, beta);
        NDManager m = scoredLogits.getManager();
        NDArray logq = scoredLogits.logSoftmax(-1).get(new NDIndex("{}, {}", batch.pairRows(), batch.pairIds()));
        NDArray invN = OwnedArrays.scalar(m, 1f / batch.scoredTokens());
        NDArray ce = logq.mul(batch.pairLabel()).sum().neg().mul(invN);
        if (beta == 0f) {
            return new Terms(ce, null, ce);
        }
        NDArray cross = logq.mul(batch.pairKnn()).sum();
        NDArray meanNegEntropy = OwnedArrays.scalar(m, (float) (batch.knnNegEntropy() / batch.scoredTokens()));
        NDArray kl = meanNegEntropy.sub(cross.mul(invN));
        NDArray total = kl.mul(OwnedArrays.scalar(m, beta)).add(ce.mul(OwnedArrays.scalar(m, 1f - beta)));
        return new Terms(total, kl, ce);
    }

    /**
     * The same loss for logits = {@code hidden}·{@code head}ᵀ (a bias-free output head), in the fused form described
     * above. {@link Terms#backward()} carries the gradients of {@code hidden} (and through it the model below) and of
     * {@code head}; the logits are never part of the autograd graph.
     *
     * @param hidden FLOAT32 [N, width]: the final hidden states at the batch's scored positions, in its row order
     * @param head   FLOAT32 [V, width]: the output projection (for a tied model the token embedding)
     */
    public static Terms computeFused(NDArray hidden, NDArray head, Batch batch, float beta) {
        checkBeta(batch, beta);
        NDManager m = hidden.getManager();
        NDArray h = hidden.stopGradient();
        NDArray w = head.stopGradient();
        NDIndex pairs = new NDIndex("{}, {}", batch.pairRows(), batch.pairIds());
        NDArray z = Linear.linear(h, w).singletonOrThrow();                   // logits [N, V]
        NDArray zPairs = z.get(pairs);                                         // z at the pairs [M]
        NDArray g = z.softmax(1);                                              // softmax(z) [N, V]
        // lse = z_j − log softmax_j for any j; at the row's argmax softmax_j ≥ 1/V, so its log is exact to float
        NDIndex top = new NDIndex("{}, {}", m.arange(0, (int) z.getShape().get(0), 1, DataType.INT64),
                z.argMax(1));
        NDArray lseRows = z.get(top).sub(g.get(top).log());
        z.close();                                                             // the only other [N, V] buffer
        NDArray lse = lseRows.get(new NDIndex("{}", batch.pairRows()));       // lse of each pair's row [M]
        NDArray invN = OwnedArrays.scalar(m, 1f / batch.scoredTokens());
        NDArray logq = zPairs.sub(lse);
        NDArray ce = logq.mul(batch.pairLabel()).sum().neg().mul(invN);
        NDArray kl = null;
        NDArray total = ce;
        NDArray weights = batch.pairLabel();
        if (beta > 0f) {
            NDArray meanNegEntropy = OwnedArrays.scalar(m, (float) (batch.knnNegEntropy() / batch.scoredTokens()));
            kl = meanNegEntropy.sub(logq.mul(batch.pairKnn()).sum().mul(invN));
            NDArray b = OwnedArrays.scalar(m, beta);
            NDArray oneMinusB = OwnedArrays.scalar(m, 1f - beta);
            total = kl.mul(b).add(ce.mul(oneMinusB));
            weights = batch.pairKnn().mul(b).add(batch.pairLabel().mul(oneMinusB));
        }
        g.set(pairs, g.get(pairs).sub(weights));                               // softmax − w: pairs are unique per row
        g.muli(invN);                                                          // ∂L/∂z [N, V]
        NDArray gradHidden = g.matMul(w);                                      // [N, width]
        NDArray gradHead = g.transpose().matMul(h);                            // [V, width]
        // Σ hidden ⊙ ∂L/∂hidden + Σ head ⊙ ∂L/∂head, as dot products of the flattened tensors: one pass, no product buffer
        NDArray surrogate = hidden.reshape(-1).dot(gradHidden.reshape(-1)).add(head.reshape(-1).dot(gradHead.reshape(-1)));
        return new Terms(total, kl, ce, surrogate);
    }

    private static void checkBeta(Batch batch, float beta) {
        if (!(beta >= 0f && beta <= 1f)) {
            throw new IllegalArgumentException("beta must be in [0, 1], got " + beta);
        }
        if (beta > 0f && !batch.withKnn()) {
            throw new IllegalArgumentException("beta " + beta + " > 0 needs a batch packed with kNN targets");
        }
    }
}

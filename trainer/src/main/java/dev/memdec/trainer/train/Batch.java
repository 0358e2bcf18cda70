package dev.memdec.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.memdec.trainer.model.OwnedArrays;
import java.util.List;

/**
 * Windows packed for one step: token ids [B, T] padded at the end (causal attention keeps padding out of
 * the real positions), the flat indices of the scored positions, their labels and the sparse targets of the loss
 * as (row, id) pairs: each scored row's renormalised kNN distribution (duplicate ids summed, as the reference's
 * scatter-add densification sums them) with the row's label added as a pair of its own when the kNN row lacks it.
 * Pairs are unique within a row, so the loss can read and write a [N, vocab] matrix at them without collisions,
 * and nothing of the targets is ever densified to the vocabulary.
 *
 * @param tokens       INT64 [B, T]
 * @param rows         INT64 [N]: b·T + t of each scored position, in window order
 * @param labels       INT64 [N, 1]
 * @param pairRows     INT64 [M]: the scored row (0..N-1) of each target pair, rows in order
 * @param pairIds      INT64 [M]: the token id of each pair
 * @param pairKnn      FLOAT32 [M]: p_kNN(id) of the renormalised row (0 for a label outside the kNN row; all 0
 *                     without kNN targets)
 * @param pairLabel    FLOAT32 [M]: 1 where the id is the row's label, else 0 (one 1 per row)
 * @param withKnn      whether the pairs carry kNN targets (β > 0)
 * @param knnNegEntropy Σ_rows Σ_y p·log p of the renormalised rows (0·log 0 = 0), the constant part of the KL
 * @param scoredTokens N
 * @param inputTokens  number of real (unpadded) tokens
 * @param keys         FLOAT32 [N, width]: the host's hidden state at each scored position, when every window carries
 *                     them (an MLP memory's input), else null
 */
public record Batch(NDArray tokens, NDArray rows, NDArray labels, NDArray pairRows, NDArray pairIds, NDArray pairKnn,
                    NDArray pairLabel, boolean withKnn, double knnNegEntropy, int scoredTokens, long inputTokens,
                    NDArray keys) {

    /**
     * Packs {@code windows} into arrays of {@code manager}.
     *
     * @param withKnn whether kNN rows are needed (β > 0); then every scored row must have positive mass
     * @throws IllegalArgumentException naming the window and row when a token is outside the vocabulary or
     *     a kNN row is empty
     */
    public static Batch pack(NDManager manager, List<KnnWindow> windows, int[] windowIndices, int vocab, boolean withKnn) {
        int b = windows.size();
        int seq = 0;
        int n = 0;
        int entries = 0;
        for (KnnWindow w : windows) {
            seq = Math.max(seq, w.tokens().length);
            n += w.scored().length;
            entries += withKnn ? w.ids().length : 0;
        }
        if (n == 0) {
            throw new IllegalArgumentException("batch of windows " + windowIndices[0] + ".." + windowIndices[b - 1]
                    + " has no scored positions");
        }
        long[] tokens = new long[b * seq];
        long[] rows = new long[n];
        long[] labels = new long[n];
        long inputTokens = 0;
        Pairs pairs = new Pairs(entries + n, vocab);
        int r = 0;
        for (int i = 0; i < b; i++) {
            KnnWindow w = windows.get(i);
            int[] t = w.tokens();
            for (int j = 0; j < t.length; j++) {
                if (t[j] < 0 || t[j] >= vocab) {
                    throw new IllegalArgumentException("window " + windowIndices[i] + ": token " + t[j] + " at position "
                            + j + " is outside the model vocabulary [0, " + vocab + ")");
                }
                tokens[i * seq + j] = t[j];
            }
            inputTokens += t.length;
            if (withKnn && !w.hasKnnTargets()) {
                throw new IllegalArgumentException("window " + windowIndices[i] + " has no kNN targets but beta > 0");
            }
            for (int s = 0; s < w.scored().length; s++, r++) {
                rows[r] = (long) i * seq + w.scored()[s];
                labels[r] = w.label(s);
                pairs.row(r, w, s, windowIndices[i], withKnn);
            }
        }
        int m = pairs.count;
        return new Batch(OwnedArrays.longs(manager, tokens, new Shape(b, seq)),
                OwnedArrays.longs(manager, rows, new Shape(n)),
                OwnedArrays.longs(manager, labels, new Shape(n, 1)),
                OwnedArrays.longs(manager, java.util.Arrays.copyOf(pairs.rows, m), new Shape(m)),
                OwnedArrays.longs(manager, java.util.Arrays.copyOf(pairs.ids, m), new Shape(m)),
                OwnedArrays.floats(manager, java.util.Arrays.copyOf(pairs.knn, m), new Shape(m)),
                OwnedArrays.floats(manager, java.util.Arrays.copyOf(pairs.label, m), new Shape(m)),
                withKnn, pairs.negEntropy, n, inputTokens, keys(manager, windows, windowIndices, n));
    }

    /** The windows' keys stacked [N, width] in scored-row order, or null when any window has none. */
    private static NDArray keys(NDManager manager, List<KnnWindow> windows, int[] windowIndices, int n) {
        int width = windows.get(0).keyWidth();
        for (int i = 0; i < windows.size(); i++) {
            if (windows.get(i).keyWidth() != width) {
                throw new IllegalArgumentException("window " + windowIndices[i] + " has keys of width "
                        + windows.get(i).keyWidth() + ", window " + windowIndices[0] + " of width " + width);
            }
        }
        if (width == 0) {
            return null;
        }
        float[] all = new float[n * width];
        int at = 0;
        for (KnnWindow w : windows) {
            System.arraycopy(w.keys(), 0, all, at, w.keys().length);
            at += w.keys().length;
        }
        return OwnedArrays.floats(manager, all, new Shape(n, width));
    }

    /**
     * The target pairs of a batch, built row by row without boxing: {@code slot[id]} is the pair of {@code id} in the
     * current row, valid while {@code owner[id]} is that row.
     */
    private static final class Pairs {
        final long[] rows;
        final long[] ids;
        final float[] knn;
        final float[] label;
        final int[] slot;
        final int[] owner;
        final float[] mass;
        int count;
        double negEntropy;

        Pairs(int capacity, int vocab) {
            rows = new long[capacity];
            ids = new long[capacity];
            knn = new float[capacity];
            label = new float[capacity];
            mass = new float[capacity];
            slot = new int[vocab];
            owner = new int[vocab];
            java.util.Arrays.fill(owner, -1);
        }

        /** Adds scored row {@code r} (row {@code s} of window {@code w}): its kNN pairs when asked for, then its label. */
        void row(int r, KnnWindow w, int s, int windowIndex, boolean withKnn) {
            int first = count;
            if (withKnn) {
                float total = 0;
                for (int j = w.offsets()[s]; j < w.offsets()[s + 1]; j++) {
                    int id = w.ids()[j];
                    if (id < 0 || id >= slot.length) {
                        throw new IllegalArgumentException("window " + windowIndex + ": kNN id " + id + " in row " + s
                                + " is outside the model vocabulary [0, " + slot.length + ")");
                    }
                    mass[pair(r, id)] += w.probs()[j];   // float sums in entry order (the reference's scatter-add)
                    total += w.probs()[j];
                }
                if (!(total > 0)) {
                    throw new IllegalArgumentException("window " + windowIndex + ": kNN row " + s
                            + " has no probability mass, so it cannot be renormalised");
                }
                for (int q = first; q < count; q++) {
                    double p = mass[q] / total;
                    knn[q] = (float) p;
                    if (p > 0) {
                        negEntropy += p * Math.log(p);
                    }
                }
            }
            label[pair(r, w.label(s))] = 1f;
        }

        /** The pair of {@code id} in row {@code r}, added with zero weights when the row has none yet. */
        private int pair(int r, int id) {
            if (owner[id] == r) {
                return slot[id];
            }
            owner[id] = r;
            slot[id] = count;
            rows[count] = r;
            ids[count] = id;
            knn[count] = 0f;
            label[count] = 0f;
            mass[count] = 0f;
            return count++;
        }
    }
}

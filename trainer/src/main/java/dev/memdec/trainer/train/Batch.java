package dev.memdec.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.memdec.trainer.model.OwnedArrays;
import java.util.List;
import java.util.Map;

/**
 * Windows packed for one step: token ids [B, T] padded at the end (causal attention keeps padding out of
 * the real positions), the flat indices of the scored positions, their labels and, when the windows carry
 * kNN targets, the renormalised sparse kNN rows padded to the widest row with probability 0.
 *
 * @param tokens       INT64 [B, T]
 * @param rows         INT64 [N]: b·T + t of each scored position, in window order
 * @param labels       INT64 [N, 1]
 * @param knnIds       INT64 [N, K] or null without kNN targets
 * @param knnProbs     FLOAT32 [N, K] (rows sum to 1) or null
 * @param knnNegEntropy Σ_rows Σ_y p·log p of the renormalised rows (0·log 0 = 0), the constant part of the KL
 * @param scoredTokens N
 * @param inputTokens  number of real (unpadded) tokens
 * @param keys         FLOAT32 [N, width]: the host's hidden state at each scored position, when every window carries
 *                     them (an MLP memory's input), else null
 */
public record Batch(NDArray tokens, NDArray rows, NDArray labels, NDArray knnIds, NDArray knnProbs,
                    double knnNegEntropy, int scoredTokens, long inputTokens, NDArray keys) {

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
        for (KnnWindow w : windows) {
            seq = Math.max(seq, w.tokens().length);
            n += w.scored().length;
        }
        if (n == 0) {
            throw new IllegalArgumentException("batch of windows " + windowIndices[0] + ".." + windowIndices[b - 1]
                    + " has no scored positions");
        }
        long[] tokens = new long[b * seq];
        long[] rows = new long[n];
        long[] labels = new long[n];
        long inputTokens = 0;
        List<Map<Integer, Float>> merged = new java.util.ArrayList<>(withKnn ? n : 0);
        int width = 0;
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
                if (withKnn) {
                    Map<Integer, Float> row = mergeRow(w, s, windowIndices[i], vocab);
                    width = Math.max(width, row.size());
                    merged.add(row);
                }
            }
        }
        NDArray knnIds = null;
        NDArray knnProbs = null;
        double negEntropy = 0;
        if (withKnn) {
            long[] ids = new long[n * width];
            float[] probs = new float[n * width];
            for (int row = 0; row < n; row++) {
                Map<Integer, Float> m = merged.get(row);
                double total = 0;
                for (float p : m.values()) {
                    total += p;
                }
                int j = 0;
                for (Map.Entry<Integer, Float> e : m.entrySet()) {
                    double p = e.getValue() / total;
                    ids[row * width + j] = e.getKey();
                    probs[row * width + j] = (float) p;
                    if (p > 0) {
                        negEntropy += p * Math.log(p);
                    }
                    j++;
                }
            }
            knnIds = OwnedArrays.longs(manager, ids, new Shape(n, width));
            knnProbs = OwnedArrays.floats(manager, probs, new Shape(n, width));
        }
        return new Batch(OwnedArrays.longs(manager, tokens, new Shape(b, seq)),
                OwnedArrays.longs(manager, rows, new Shape(n)),
                OwnedArrays.longs(manager, labels, new Shape(n, 1)),
                knnIds, knnProbs, negEntropy, n, inputTokens, keys(manager, windows, windowIndices, n));
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

    /** Row {@code s} of window {@code w} with duplicate ids summed (the reference densifies, which sums them). */
    private static Map<Integer, Float> mergeRow(KnnWindow w, int s, int windowIndex, int vocab) {
        Map<Integer, Float> row = new java.util.LinkedHashMap<>();
        float total = 0;
        for (int j = w.offsets()[s]; j < w.offsets()[s + 1]; j++) {
            int id = w.ids()[j];
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("window " + windowIndex + ": kNN id " + id + " in row " + s
                        + " is outside the model vocabulary [0, " + vocab + ")");
            }
            row.merge(id, w.probs()[j], Float::sum);
            total += w.probs()[j];
        }
        if (!(total > 0)) {
            throw new IllegalArgumentException("window " + windowIndex + ": kNN row " + s
                    + " has no probability mass, so it cannot be renormalised");
        }
        return row;
    }
}

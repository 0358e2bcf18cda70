package dev.memdec.trainer.train;

/**
 * One training window with its sparse kNN targets. {@code tokens} are the window's token ids; the logits at
 * position {@code scored[r]} predict {@code tokens[scored[r] + 1]} and are scored (positions not listed are
 * context only, like the reference's −100 labels). Scored row r's kNN distribution is the sparse row
 * {@code ids/probs[offsets[r] .. offsets[r+1])}; its probabilities need not sum to 1 (fp16 storage
 * loses mass) and are renormalised by the loss. A window without kNN targets (host pretraining) has an empty
 * {@code ids} array and all offsets 0. {@code keys}, when not null, holds the host's hidden state at each scored
 * position (the datastore's key of that entry, row-major [scored × width]): the input of an MLP memory.
 */
public record KnnWindow(int[] tokens, int[] scored, int[] offsets, int[] ids, float[] probs, float[] keys) {

    /** A window without host hidden states. */
    public KnnWindow(int[] tokens, int[] scored, int[] offsets, int[] ids, float[] probs) {
        this(tokens, scored, offsets, ids, probs, null);
    }

    public KnnWindow {
        if (tokens.length < 2) {
            throw new IllegalArgumentException("window: needs at least 2 tokens, got " + tokens.length);
        }
        if (offsets.length != scored.length + 1 || offsets[0] != 0 || offsets[scored.length] != ids.length
                || ids.length != probs.length) {
            throw new IllegalArgumentException("window: offsets must have " + (scored.length + 1)
                    + " entries from 0 to ids.length " + ids.length + " (probs " + probs.length + ")");
        }
        for (int r = 0; r < scored.length; r++) {
            if (scored[r] < 0 || scored[r] >= tokens.length - 1 || (r > 0 && scored[r] <= scored[r - 1])) {
                throw new IllegalArgumentException("window: scored position " + scored[r] + " at row " + r
                        + " must increase and lie in [0, " + (tokens.length - 1) + ")");
            }
            if (offsets[r + 1] < offsets[r]) {
                throw new IllegalArgumentException("window: offsets decrease at row " + r);
            }
        }
        if (keys != null && (scored.length == 0 || keys.length == 0 || keys.length % scored.length != 0)) {
            throw new IllegalArgumentException("window: " + keys.length + " key floats are not one key of equal width for each of "
                    + scored.length + " scored positions");
        }
        for (float p : probs) {
            if (!(p >= 0f) || Float.isInfinite(p)) {
                throw new IllegalArgumentException("window: kNN probability " + p + " is not a finite value >= 0");
            }
        }
    }

    /** A window scored at every position, without kNN targets (cross-entropy only). */
    public static KnnWindow plain(int[] tokens) {
        int[] scored = new int[tokens.length - 1];
        for (int i = 0; i < scored.length; i++) {
            scored[i] = i;
        }
        return new KnnWindow(tokens, scored, new int[scored.length + 1], new int[0], new float[0]);
    }

    /**
     * A window scored at every position whose target distribution is the next token itself (probability 1): its
     * KL term equals its cross-entropy, so β·KL + (1-β)·CE is cross-entropy there. Replayed text
     * ({@link ReplayWindows}) enters a kNN-target run this way.
     */
    public static KnnWindow labelTargets(int[] tokens) {
        int n = tokens.length - 1;
        int[] scored = new int[n];
        int[] offsets = new int[n + 1];
        int[] ids = new int[n];
        float[] probs = new float[n];
        for (int i = 0; i < n; i++) {
            scored[i] = i;
            offsets[i + 1] = i + 1;
            ids[i] = tokens[i + 1];
            probs[i] = 1f;
        }
        return new KnnWindow(tokens, scored, offsets, ids, probs);
    }

    public boolean hasKnnTargets() {
        return ids.length > 0;
    }

    /** Width of the keys, 0 when the window has none. */
    public int keyWidth() {
        return keys == null ? 0 : keys.length / scored.length;
    }

    /** The token scored at row {@code r}. */
    public int label(int r) {
        return tokens[scored[r] + 1];
    }
}

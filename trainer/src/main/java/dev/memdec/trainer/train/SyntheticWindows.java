package dev.memdec.trainer.train;

import java.util.SplittableRandom;

/**
 * Seeded synthetic windows for tests and benchmarks: tokens follow a noisy "next = previous + 1 (mod vocab)"
 * rule so a model can learn them, and each scored position gets a sparse kNN row of {@code k} distinct ids
 * that puts most mass on the true next token.
 */
public final class SyntheticWindows implements TrainingWindows {

    private final int count;
    private final int length;
    private final int vocab;
    private final int k;
    private final long seed;

    public SyntheticWindows(int count, int length, int vocab, int k, long seed) {
        if (count < 1 || length < 2 || vocab < 2 || k < 0 || k > vocab) {
            throw new IllegalArgumentException("synthetic windows: need count >= 1, length >= 2, vocab >= 2, 0 <= k <= vocab");
        }
        this.count = count;
        this.length = length;
        this.vocab = vocab;
        this.k = k;
        this.seed = seed;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public int vocab() {
        return vocab;
    }

    @Override
    public String fingerprint() {
        return "synthetic:" + count + "x" + length + ":v" + vocab + ":k" + k + ":s" + seed;
    }

    @Override
    public KnnWindow window(int index) {
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + index);
        int[] tokens = new int[length];
        tokens[0] = random.nextInt(vocab);
        for (int t = 1; t < length; t++) {
            tokens[t] = random.nextInt(8) == 0 ? random.nextInt(vocab) : (tokens[t - 1] + 1) % vocab;
        }
        int[] scored = new int[length - 1];
        int[] offsets = new int[length];
        int[] ids = new int[(length - 1) * k];
        float[] probs = new float[ids.length];
        for (int r = 0; r < scored.length; r++) {
            scored[r] = r;
            offsets[r + 1] = offsets[r] + k;
            int label = tokens[r + 1];
            for (int j = 0; j < k; j++) {
                int id = (label + j * (vocab / k > 0 ? vocab / k : 1)) % vocab;
                ids[offsets[r] + j] = id;
                probs[offsets[r] + j] = j == 0 ? 0.6f + 0.3f * (float) random.nextDouble() : (float) random.nextDouble() * 0.1f;
            }
        }
        if (k == 0) {
            return KnnWindow.plain(tokens);
        }
        return new KnnWindow(tokens, scored, offsets, ids, probs);
    }
}

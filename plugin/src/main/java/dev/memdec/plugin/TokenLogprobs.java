package dev.memdec.plugin;

import java.util.ArrayList;
import java.util.List;

/**
 * Log-probabilities of one generated token, reported when {@link GenerationRequest#topLogprobs()} asks for them.
 * They are taken from the distribution the sampler chain sees first: the joint (mixed) distribution when a memory
 * is attached, the host's log-softmax otherwise; that is, after mixing and before logit bias, grammar, penalties,
 * temperature and top-k/p/min-p truncation, as llama-server's {@code n_probs} reports the pre-sampling
 * distribution. So a token chosen at temperature &gt; 0 can have a logprob below the top list's.
 *
 * @param logprob natural log of the chosen token's probability
 * @param top     the most likely tokens, most likely first (ties by token id), as many as requested
 */
public record TokenLogprobs(double logprob, List<Candidate> top) {

    public TokenLogprobs {
        top = List.copyOf(top);
    }

    /** A candidate token and its log-probability. */
    public record Candidate(int token, double logprob) {}

    /**
     * Reads the chosen token's entry and the {@code n} largest entries of {@code logprobs[0..width)}; tokens at or
     * beyond {@code width} (padding rows outside a shared vocabulary) have probability 0. One pass with a small
     * insertion-sorted buffer: O(width) for the few alternatives clients ask for.
     */
    static TokenLogprobs of(float[] logprobs, int width, int chosen, int n) {
        int[] ids = new int[n];
        float[] values = new float[n];
        int size = 0;
        for (int t = 0; n > 0 && t < width; t++) {
            float v = logprobs[t];
            if (size == n && !(v > values[size - 1])) {
                continue;
            }
            int i = size == n ? n - 1 : size++;
            while (i > 0 && v > values[i - 1]) {
                ids[i] = ids[i - 1];
                values[i] = values[i - 1];
                i--;
            }
            ids[i] = t;
            values[i] = v;
        }
        List<Candidate> top = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            top.add(new Candidate(ids[i], values[i]));
        }
        double chosenLogprob = chosen < width ? logprobs[chosen] : Double.NEGATIVE_INFINITY;
        return new TokenLogprobs(chosenLogprob, top);
    }
}

package dev.memdec.converter.eval;

import java.util.Arrays;
import java.util.function.Function;

/**
 * Token-weighted perplexity over {@link SlidingWindows} (reference-spec §7.3): every window is run through
 * the model on its own (no state carried between windows) and the negative log-likelihoods of all scored
 * targets are summed; perplexity = exp(Σ NLL / Σ targets).
 */
public final class SlidingWindowPerplexity {

    /** Summed negative log-likelihood (natural log) over {@code tokens} scored targets. */
    public record Result(double nll, long tokens) {
        public double meanNll() {
            return nll / tokens;
        }

        public double perplexity() {
            return Math.exp(meanNll());
        }
    }

    private SlidingWindowPerplexity() {
    }

    /**
     * Evaluates {@code model}, a function from a window's token ids to one logits row per position.
     *
     * @throws IllegalArgumentException if no target is scored or the model returns the wrong number of rows
     */
    public static Result evaluate(Function<int[], float[][]> model, int[] tokens, int ctx, int stride) {
        double nll = 0;
        long count = 0;
        for (SlidingWindows.Window w : SlidingWindows.of(tokens.length, ctx, stride)) {
            if (w.scoredCount() == 0) {
                continue;
            }
            float[][] logits = model.apply(Arrays.copyOfRange(tokens, w.begin(), w.end()));
            if (logits.length != w.length()) {
                throw new IllegalArgumentException("model returned " + logits.length + " logits rows for a window of "
                        + w.length() + " tokens");
            }
            for (int t = w.firstScored(); t < w.end(); t++) {
                nll -= LogSpace.logSoftmax(logits[t - 1 - w.begin()], tokens[t]);
                count++;
            }
        }
        if (count == 0) {
            throw new IllegalArgumentException("no token is scored: a sequence of " + tokens.length
                    + " tokens needs at least 2");
        }
        return new Result(nll, count);
    }
}

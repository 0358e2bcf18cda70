package dev.memdec.converter.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * The strided evaluation windows of reference-spec §2.3 / §7.3 (HF perplexity recipe, block B = ctx,
 * stride S): for {@code i = 0, S, 2S, … < L}, the window holds tokens {@code [max(i+S−B, 0), min(i+S, L))}
 * and labels the tokens from {@code i} on. Labels are shifted by the consumer, so the token at the window's
 * first position is never a target; {@link Window#firstScored()} already accounts for that.
 *
 * <p>With S &lt; B every token of the sequence except the first is scored exactly once; with S = B the first
 * token of every window is not scored.
 */
public final class SlidingWindows {

    /**
     * One window over a token sequence.
     *
     * @param begin       first token fed to the model (absolute index)
     * @param end         one past the last token fed to the model
     * @param firstScored first absolute index whose token is a scored target; targets are
     *                    {@code [firstScored, end)}, each predicted from the logits of the position before it
     */
    public record Window(int begin, int end, int firstScored) {
        public int length() {
            return end - begin;
        }

        public int scoredCount() {
            return end - firstScored;
        }
    }

    private SlidingWindows() {
    }

    /**
     * Windows over a sequence of {@code length} tokens.
     *
     * @throws IllegalArgumentException unless {@code 1 ≤ stride ≤ ctx} and {@code length ≥ 0}
     */
    public static List<Window> of(int length, int ctx, int stride) {
        if (ctx < 1) {
            throw new IllegalArgumentException("ctx must be at least 1, got " + ctx);
        }
        if (stride < 1 || stride > ctx) {
            throw new IllegalArgumentException("stride must be in [1, ctx=" + ctx + "], got " + stride);
        }
        if (length < 0) {
            throw new IllegalArgumentException("length must be non-negative, got " + length);
        }
        List<Window> windows = new ArrayList<>(length / stride + 1);
        for (long i = 0; i < length; i += stride) {
            int begin = (int) Math.max(i + stride - ctx, 0);
            int end = (int) Math.min(i + stride, length);
            windows.add(new Window(begin, end, (int) Math.max(i, begin + 1)));
        }
        return windows;
    }
}

package dev.memdec.converter.eval;

/**
 * The one home of log-space arithmetic (log-sum-exp and the mixtures built on it), in double with the largest
 * term factored out so nothing overflows. It lives in the converter, the lowest module, because the converter's
 * reference perplexity, the plugin's runtime and retrieval, and the trainer's evaluation all use it; the mixing
 * sampler's vectorized float kernel ({@code LogMixer.logSumExp}) is the one specialised form kept beside it.
 */
public final class LogSpace {

    private LogSpace() {
    }

    /** log Σ_i exp(x[i]) over {@code [0, n)}; -∞ when every term is -∞ (or n is 0). */
    public static double logSumExp(float[] x, int n) {
        return logSumExp(x, 0, n);
    }

    /** log Σ_i exp(x[i]) over {@code [from, from + n)}; -∞ when every term is -∞ (or n is 0). */
    public static double logSumExp(float[] x, int from, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = from; i < from + n; i++) {
            max = Math.max(max, x[i]);
        }
        if (max == Double.NEGATIVE_INFINITY || Double.isNaN(max)) {
            return max;
        }
        double sum = 0;
        for (int i = from; i < from + n; i++) {
            sum += Math.exp(x[i] - max);
        }
        return max + Math.log(sum);
    }

    /** log Σ_i exp(x[i]) over the whole array. */
    public static double logSumExp(float[] x) {
        return logSumExp(x, x.length);
    }

    /** log softmax(row)[target]. */
    public static double logSoftmax(float[] row, int target) {
        if (target < 0 || target >= row.length) {
            throw new IllegalArgumentException("target token " + target + " is outside the logits width " + row.length);
        }
        return row[target] - logSumExp(row);
    }

    /** log softmax of the row {@code x[from, from + n)} at {@code target} (an index within the row). */
    public static double logSoftmax(float[] x, int from, int n, int target) {
        if (target < 0 || target >= n) {
            throw new IllegalArgumentException("target token " + target + " is outside the logits width " + n);
        }
        return x[from + target] - logSumExp(x, from, n);
    }

    /** log(e^a + e^b); -∞ when both are. */
    public static double logAddExp(double a, double b) {
        double max = Math.max(a, b);
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        return max + Math.log1p(Math.exp(-Math.abs(a - b)));
    }

    /**
     * log((1 − λ)·e^{logP} + λ·e^{logQ}), the paper's mixture in log space; exactly {@code logP} at λ = 0 and
     * {@code logQ} at λ = 1.
     */
    public static double mix(double logP, double logQ, double lambda) {
        if (lambda == 0) {
            return logP;
        }
        if (lambda == 1) {
            return logQ;
        }
        return logAddExp(Math.log1p(-lambda) + logP, Math.log(lambda) + logQ);
    }
}

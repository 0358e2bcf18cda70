package dev.memdec.plugin.mix;

import dev.memdec.converter.eval.LogSpace;

/**
 * Mixes a host's and a memory's next-token logits into joint log-probabilities over the whole vocabulary:
 * <pre>log p = logaddexp(log(1-λ) + log_softmax(z_host), log λ + log_softmax(z_mem / T_mem))</pre>
 * (reference-spec §7.1), or with {@link MixMode#LOGIT} <pre>log p = log_softmax((1-λ)·z_host + λ·z_mem / T_mem)</pre>
 * λ = 0 returns the host's log-softmax and λ = 1 the memory's, computed without the
 * other term at all, so neither log(0) nor a NaN can appear.
 *
 * <p>One instance owns the scratch buffers of one inference thread; it is not thread-safe. A step costs two
 * maxima, two exp passes for the normalizers and one exp + log1p pass for the output, all in auto-vectorized
 * {@link FloatKernels} (about 0.1–0.3 ms at V = 50,257 on the project's machines).
 */
public final class LogMixer {

    private float[] a = new float[0];
    private float[] b = new float[0];
    private float[] work = new float[0];

    /**
     * Writes the joint log-probabilities of tokens {@code [0, n)} into {@code out[0..n)}.
     *
     * @param host   the host's logits; at least n entries
     * @param memory the memory's logits; at least n entries (ignored when λ = 0)
     * @param n      the shared vocabulary length (reference-spec §7.4: both models sliced to it)
     */
    public void mix(float[] host, float[] memory, int n, Mixing mixing, float[] out) {
        checkLengths(host, memory, n, out, mixing.lambda() > 0);
        ensureCapacity(n);
        double lambda = mixing.lambda();
        float invT = (float) (1.0 / mixing.memoryTemperature());
        if (lambda == 0) {
            double lse = logSumExp(host, 1f, n);
            FloatKernels.affine(host, 1f, (float) -lse, out, n);
            return;
        }
        if (lambda == 1) {
            double lse = logSumExp(memory, invT, n);
            FloatKernels.affine(memory, invT, (float) -lse, out, n);
            return;
        }
        if (mixing.mode() == MixMode.LOGIT) {
            blend(host, memory, n, lambda, invT, out);
            double lse = logSumExp(out, 1f, n);
            FloatKernels.affine(out, 1f, (float) -lse, out, n);
            return;
        }
        double lseHost = logSumExp(host, 1f, n);
        double lseMem = logSumExp(memory, invT, n);
        // a = log(1-λ) + log_softmax(host), b = log λ + log_softmax(mem / T); out = max(a,b) + log1p(e^-|a-b|).
        FloatKernels.affine(host, 1f, (float) (Math.log1p(-lambda) - lseHost), a, n);
        FloatKernels.affine(memory, invT, (float) (Math.log(lambda) - lseMem), b, n);
        for (int i = 0; i < n; i++) {
            work[i] = -Math.abs(a[i] - b[i]);
        }
        FloatKernels.exp(work, work, out, n);
        FloatKernels.log1pUnit(work, n);
        for (int i = 0; i < n; i++) {
            out[i] = Math.max(a[i], b[i]) + work[i];
        }
    }

    /**
     * log Σ_i exp(scale · x[i]) over {@code [0, n)}, with the largest term factored out. {@code scale} &gt; 0.
     * Perplexity uses it to get each model's normalizer once per position and then evaluates every λ from it.
     */
    public double logSumExp(float[] x, float scale, int n) {
        ensureCapacity(n);
        float max = FloatKernels.max(x, n) * scale;
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("every logit is -infinity; there is no distribution to normalize");
        }
        FloatKernels.affine(x, scale, -max, a, n);
        FloatKernels.exp(a, a, work, n);
        return max + Math.log(FloatKernels.sum(a, n));
    }

    /**
     * The joint log-probability of one token from the two models' normalizers (see {@link #logSumExp}); exact
     * double arithmetic, used by perplexity to evaluate many λ from one decode.
     */
    public static double jointLogProb(float hostLogit, double hostLse, float memoryLogit, double memoryLse,
            Mixing mixing) {
        double lambda = mixing.lambda();
        double logHost = hostLogit - hostLse;
        if (lambda == 0) {
            return logHost;
        }
        double logMem = memoryLogit / mixing.memoryTemperature() - memoryLse;
        return LogSpace.mix(logHost, logMem, lambda);
    }

    /**
     * The joint log-probability of {@code target} under a {@link MixMode#LOGIT} blend with 0 &lt; λ &lt; 1, from the
     * two models' logits over {@code [0, n)} (a full pass over the vocabulary: the blend has its own normalizer).
     * Tokens at or beyond {@code n} get -∞.
     */
    public double blendLogProb(float[] host, float[] memory, int n, int target, Mixing mixing) {
        if (mixing.mode() != MixMode.LOGIT || !(mixing.lambda() > 0 && mixing.lambda() < 1)) {
            throw new IllegalArgumentException("blendLogProb is for logit blends with 0 < lambda < 1, got " + mixing);
        }
        checkLengths(host, memory, n, host, true);
        if (target >= n) {
            return Double.NEGATIVE_INFINITY;
        }
        ensureCapacity(n);
        float[] z = b;
        double lambda = mixing.lambda();
        blend(host, memory, n, lambda, (float) (1.0 / mixing.memoryTemperature()), z);
        // The target's blended logit in double: the float blend's rounding would otherwise be most of the error.
        return (1 - lambda) * host[target] + lambda * memory[target] / mixing.memoryTemperature() - logSumExp(z, 1f, n);
    }

    /** {@code dst[i] = (1-λ)·host[i] + λ·memory[i]/T}; dst may not be the mixer's scratch {@code a} or {@code work}. */
    private static void blend(float[] host, float[] memory, int n, double lambda, float invT, float[] dst) {
        float wh = (float) (1 - lambda);
        float wm = (float) lambda * invT;
        for (int i = 0; i < n; i++) {
            dst[i] = wh * host[i] + wm * memory[i];
        }
    }

    private static void checkLengths(float[] host, float[] memory, int n, float[] out, boolean needsMemory) {
        if (n <= 0) {
            throw new IllegalArgumentException("vocabulary length must be positive, got " + n);
        }
        if (host.length < n || out.length < n || (needsMemory && (memory == null || memory.length < n))) {
            throw new IllegalArgumentException("logit arrays shorter than the vocabulary length " + n + ": host "
                    + host.length + ", memory " + (memory == null ? "none" : memory.length) + ", out " + out.length);
        }
    }

    private void ensureCapacity(int n) {
        if (a.length < n) {
            a = new float[n];
            b = new float[n];
            work = new float[n];
        }
    }
}

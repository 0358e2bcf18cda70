package dev.memdec.plugin.mix;

import dev.memdec.converter.eval.LogSpace;
import dev.memdec.plugin.parallel.WorkerTeam;
import java.util.Arrays;

/**
 * Mixes a host's and a memory's next-token logits into joint log-probabilities over the whole vocabulary:
 * <pre>log p = logaddexp(log(1-λ) + log_softmax(z_host), log λ + log_softmax(z_mem / T_mem))</pre>
 * (reference-spec §7.1), or with {@link MixMode#LOGIT} <pre>log p = log_softmax((1-λ)·z_host + λ·z_mem / T_mem)</pre>
 * λ = 0 returns the host's log-softmax and λ = 1 the memory's, computed without the
 * other term at all, so neither log(0) nor a NaN can appear.
 *
 * <p>One instance owns the scratch buffers of one inference thread; it is not thread-safe. A step costs two
 * maxima, two exp passes for the normalizers and one exp + log1p pass for the output, all in auto-vectorized
 * {@link FloatKernels} (about 0.25 ms at V = 50,257 and 0.8 ms at 151,669 on the project's machines with warm caches,
 * more right after a decode). Given a {@link WorkerTeam}, each pass over a vocabulary of at least
 * {@value #SPLIT_MIN} entries is split across its threads in chunk-aligned ranges, with the same bits as one thread.
 */
public final class LogMixer {

    /**
     * Entries per chunk of a normalizer's sum: each chunk is summed on its own ({@link FloatKernels#sum}) and the
     * chunks' totals are added as doubles in chunk order, so a normalizer is the same bits whichever thread summed
     * which chunks.
     */
    static final int CHUNK = 1 << 13;
    /**
     * Vocabularies shorter than this are mixed on the calling thread alone. Measured in {@code bench} steps on two
     * cores (README, "Mixing on several threads"): at 151,669 entries a split step mixes in 0.74–1.0 ms against
     * 1.12–1.21 ms alone; at GPT-2's 50,257 the three hand-offs ate the gain (0.34–0.48 against 0.42–0.44 ms).
     */
    static final int SPLIT_MIN = 1 << 16;

    private final WorkerTeam team;
    private float[] a = new float[0];
    private float[] b = new float[0];
    private float[] work = new float[0];
    private double[] hostChunks = new double[0];
    private double[] memoryChunks = new double[0];
    private final float[] partMax;

    /** A mixer that runs every pass on the calling thread. */
    public LogMixer() {
        this(null);
    }

    /**
     * A mixer whose passes over vocabularies of at least {@value #SPLIT_MIN} entries are split in chunk-aligned ranges
     * across {@code team}'s threads (null: the calling thread alone). The results are bit for bit those of the
     * calling thread alone. The team stays the caller's to close.
     */
    public LogMixer(WorkerTeam team) {
        this.team = team;
        this.partMax = new float[2 * (team == null ? 1 : team.size())];
    }

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
            FloatKernels.affine(host, 1f, (float) -lse, out, 0, n);
            return;
        }
        if (lambda == 1) {
            double lse = logSumExp(memory, invT, n);
            FloatKernels.affine(memory, invT, (float) -lse, out, 0, n);
            return;
        }
        if (mixing.mode() == MixMode.LOGIT) {
            blend(host, memory, n, lambda, invT, out);
            double lse = logSumExp(out, 1f, n);
            FloatKernels.affine(out, 1f, (float) -lse, out, 0, n);
            return;
        }
        // The two normalizers, each pass over both models at once.
        Arrays.fill(partMax, Float.NEGATIVE_INFINITY);
        inParts(n, (p, from, to) -> {
            partMax[2 * p] = FloatKernels.max(host, from, to);
            partMax[2 * p + 1] = FloatKernels.max(memory, from, to);
        });
        float maxHost = largest(0);
        float maxMem = largest(1) * invT;
        if (maxHost == Float.NEGATIVE_INFINITY || maxMem == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException(EVERY_LOGIT_INFINITE);
        }
        inParts(n, (p, from, to) -> {
            chunkSums(host, 1f, -maxHost, a, from, to, hostChunks);
            chunkSums(memory, invT, -maxMem, b, from, to, memoryChunks);
        });
        double lseHost = maxHost + Math.log(total(hostChunks, n));
        double lseMem = maxMem + Math.log(total(memoryChunks, n));
        // a = log(1-λ) + log_softmax(host), b = log λ + log_softmax(mem / T); out = max(a,b) + log1p(e^-|a-b|).
        float hostShift = (float) (Math.log1p(-lambda) - lseHost);
        float memShift = (float) (Math.log(lambda) - lseMem);
        inParts(n, (p, from, to) -> {
            FloatKernels.affine(host, 1f, hostShift, a, from, to);
            FloatKernels.affine(memory, invT, memShift, b, from, to);
            for (int i = from; i < to; i++) {
                work[i] = -Math.abs(a[i] - b[i]);
            }
            FloatKernels.exp(work, work, out, from, to);
            FloatKernels.log1pUnit(work, from, to);
            for (int i = from; i < to; i++) {
                out[i] = Math.max(a[i], b[i]) + work[i];
            }
        });
    }

    /**
     * log Σ_i exp(scale · x[i]) over {@code [0, n)}, with the largest term factored out. {@code scale} &gt; 0.
     * Perplexity uses it to get each model's normalizer once per position and then evaluates every λ from it.
     */
    public double logSumExp(float[] x, float scale, int n) {
        ensureCapacity(n);
        Arrays.fill(partMax, Float.NEGATIVE_INFINITY);
        inParts(n, (p, from, to) -> partMax[2 * p] = FloatKernels.max(x, from, to));
        float max = largest(0) * scale;
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException(EVERY_LOGIT_INFINITE);
        }
        inParts(n, (p, from, to) -> chunkSums(x, scale, -max, a, from, to, hostChunks));
        return max + Math.log(total(hostChunks, n));
    }

    private static final String EVERY_LOGIT_INFINITE =
            "every logit is -infinity; there is no distribution to normalize";

    /** One part of a pass: entries {@code [from, to)}, part {@code p} of the team's. */
    private interface Part {
        void run(int p, int from, int to);
    }

    /**
     * Runs {@code part} over {@code [0, n)}: on the calling thread alone, or in the team's chunk-aligned ranges (part
     * p gets chunks [chunks·p/P, chunks·(p+1)/P)).
     */
    private void inParts(int n, Part part) {
        if (team == null || team.size() == 1 || n < SPLIT_MIN) {
            part.run(0, 0, n);
            return;
        }
        int parts = team.size();
        int chunks = chunks(n);
        team.run(p -> part.run(p, Math.min(n, chunks * p / parts * CHUNK), Math.min(n, chunks * (p + 1) / parts * CHUNK)));
    }

    /** The largest of the parts' maxima of model {@code which} (0 host, 1 memory); parts that ran none left -∞. */
    private float largest(int which) {
        float m = Float.NEGATIVE_INFINITY;
        for (int p = 0; p < partMax.length / 2; p++) {
            m = Math.max(m, partMax[2 * p + which]);
        }
        return m;
    }

    /**
     * {@code totals[c]} = Σ e^(x[i]·scale + shift) over chunk c, for the chunks of {@code [from, to)} ({@code from}
     * chunk-aligned); {@code scratch[from..to)} and {@code work[from..to)} are overwritten.
     */
    private void chunkSums(float[] x, float scale, float shift, float[] scratch, int from, int to, double[] totals) {
        FloatKernels.affine(x, scale, shift, scratch, from, to);
        FloatKernels.exp(scratch, scratch, work, from, to);
        for (int c = from; c < to; c += CHUNK) {
            totals[c / CHUNK] = FloatKernels.sum(scratch, c, Math.min(to, c + CHUNK));
        }
    }

    /** The chunks' totals of {@code [0, n)} added in chunk order. */
    private static double total(double[] chunkTotals, int n) {
        double s = 0;
        for (int c = 0; c < chunks(n); c++) {
            s += chunkTotals[c];
        }
        return s;
    }

    private static int chunks(int n) {
        return (n + CHUNK - 1) / CHUNK;
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
            hostChunks = new double[chunks(n)];
            memoryChunks = new double[chunks(n)];
        }
    }
}

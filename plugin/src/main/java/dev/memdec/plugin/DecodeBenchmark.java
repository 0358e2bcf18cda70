package dev.memdec.plugin;

import dev.memdec.converter.eval.LogSpace;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.SamplerChain;
import dev.memdec.plugin.bench.MemoryBandwidth;
import dev.memdec.plugin.bench.PeakRss;
import dev.memdec.plugin.bench.StepBytes;
import java.io.IOException;
import java.io.UncheckedIOException;
import dev.memdec.plugin.mix.MixMode;
import dev.memdec.plugin.mix.Mixing;
import dev.memdec.plugin.mlp.MlpMemory;
import dev.memdec.plugin.retrieval.KnnDistribution;
import dev.memdec.plugin.retrieval.KnnRetriever;
import java.util.Arrays;
import java.util.Random;

/**
 * Measures, in one run, decoding with the host alone, the memory alone, both mixed and (when the host was opened
 * with a {@link KnnRetriever}) the host with live kNN retrieval (a kNN-LM), alternating the phases round by round
 * so that machine noise hits them alike, after untimed joint phases for two seconds (JIT warm-up). Each phase starts
 * from an empty cache, prefills the same prompt and then decodes {@code tokens} greedy steps.
 */
public final class DecodeBenchmark {

    private static final long BANDWIDTH_PROBE_BYTES = 512L << 20;
    private static final int MLP_WARM_UP = 30;
    private static final long WARM_UP_NANOS = 2_000_000_000L;

    private DecodeBenchmark() {
    }

    /** {@link #run(HostModel, MemoryModel, int, int, int, int, MixMode)} mixing in probability space. */
    public static BenchmarkReport run(HostModel host, MemoryModel memory, int promptTokens, int tokens, int rounds,
            int threads) {
        return run(host, memory, promptTokens, tokens, rounds, threads, MixMode.PROB);
    }

    /**
     * Runs the benchmark on an attached pair.
     *
     * @param promptTokens tokens prefilled per phase (random ids from a fixed seed)
     * @param tokens       decode steps per phase, &gt;= 1
     * @param rounds       rounds of the three phases, &gt;= 1
     * @param mode         how the joint phase mixes (λ = {@link Mixing#DEFAULT_LAMBDA})
     */
    public static BenchmarkReport run(HostModel host, MemoryModel memory, int promptTokens, int tokens, int rounds,
            int threads, MixMode mode) {
        return run(host, memory, promptTokens, tokens, rounds, threads, mode, null);
    }

    /**
     * As {@link #run(HostModel, MemoryModel, int, int, int, int, MixMode)}, with one more phase per round when
     * {@code mlp} is given: the host mixed with that MLP memory (host decode capturing its key, MLP forward, mixing
     * sampler, greedy). The host must have been opened with {@code mlp} so that it captures the key.
     */
    public static BenchmarkReport run(HostModel host, MemoryModel memory, int promptTokens, int tokens, int rounds,
            int threads, MixMode mode, MlpMemory mlp) {
        if (tokens < 1 || rounds < 1 || promptTokens < 1) {
            throw new IllegalArgumentException("tokens, rounds and prompt tokens must be >= 1");
        }
        if (promptTokens + tokens + 1 > host.contextSize()) {
            throw new IllegalArgumentException(promptTokens + " prompt + " + tokens + " decoded tokens do not fit the "
                    + "context of " + host.contextSize());
        }
        if (host.memory().orElse(null) != memory) {
            host.attach(memory);
        }
        KnnRetriever knn = host.knnRetriever().orElse(null);
        double bandwidth = MemoryBandwidth.measure(BANDWIDTH_PROBE_BYTES, threads, 5);
        int shared = Math.min(host.vocabSize(), memory.tokenizer().vocabSize());
        int[] prompt = new Random(42).ints(promptTokens, 0, shared).toArray();
        Mixing mixing = new Mixing(Mixing.DEFAULT_LAMBDA, 1.0, mode);
        long hostBytes;
        long memoryBytes;
        try {
            hostBytes = StepBytes.of(host.path());
            memoryBytes = StepBytes.of(memory.path());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        double[][] ms = new double[11][rounds];
        double[][] prefill = new double[2][rounds];
        JointDecoder decoder = host.decoder();
        InferenceThread.run(() -> {
            if (mlp != null) {
                // Compile the Java engine's vector kernels before the first timed round (interpreted Vector API code
                // is two orders of magnitude slower). On the inference thread, as every forward: b4916's ggml runs
                // an OpenMP team per calling thread, and a second team slows every later decode of the process.
                float[] key = new float[mlp.config().inputWidth()];
                float[] out = new float[mlp.config().vocab()];
                for (int i = 0; i < MLP_WARM_UP; i++) {
                    mlp.logits(key, 0, out);
                }
            }
            // Untimed joint phases first, for at least WARM_UP_NANOS: the mixing sampler and the copies around it are
            // Java code that the JIT compiles only after enough calls, on compiler threads that share the cores with
            // the decode. Timed cold, the default 40 x 3 steps of a small pair (the demo's host, vocabulary 1,024)
            // read a mixing of 0.94 ms a step instead of 0.01 and a joint / (host + memory) of 2.4 instead of 1.1.
            long warmUp = System.nanoTime();
            do {
                decoder.clear();
                decoder.prefill(prompt);
                jointSteps(decoder, host.vocabSize(), shared, mixing, tokens);
            } while (System.nanoTime() - warmUp < WARM_UP_NANOS);
            for (int r = 0; r < rounds; r++) {
                decoder.clear();
                long t0 = System.nanoTime();
                single(decoder.hostContext(), prompt);
                prefill[0][r] = promptTokens / ((System.nanoTime() - t0) / 1e9);
                ms[0][r] = singleSteps(decoder.hostContext(), prompt.length, tokens);

                decoder.clear();
                single(decoder.memoryContext(), prompt);
                ms[1][r] = singleSteps(decoder.memoryContext(), prompt.length, tokens);

                decoder.clear();
                t0 = System.nanoTime();
                decoder.prefill(prompt);
                prefill[1][r] = promptTokens / ((System.nanoTime() - t0) / 1e9);
                double[] joint = jointSteps(decoder, host.vocabSize(), shared, mixing, tokens);
                ms[2][r] = joint[0];
                ms[3][r] = joint[1];
                ms[9][r] = joint[2];
                ms[10][r] = joint[3];
                decoder.clear();
                if (mlp != null) {
                    single(decoder.hostContext(), prompt);
                    double[] m = mlpSteps(decoder, mlp, host.vocabSize(),
                            Math.min(host.vocabSize(), mlp.config().vocab()), mixing, prompt.length, tokens);
                    ms[6][r] = m[0];
                    ms[7][r] = m[1];
                    ms[8][r] = m[2];
                    decoder.clear();
                }
                if (knn != null) {
                    single(decoder.hostContext(), prompt);
                    double[] knnLm = knnSteps(decoder, knn, host.vocabSize(), mixing.lambda(), prompt.length, tokens);
                    ms[4][r] = knnLm[0];
                    ms[5][r] = knnLm[1];
                    decoder.clear();
                }
            }
        });
        return new BenchmarkReport(median(ms[0]), median(ms[1]), median(ms[2]), median(ms[3]), median(prefill[0]),
                median(prefill[1]), hostBytes, memoryBytes, bandwidth, PeakRss.bytes().orElse(-1),
                shared, tokens, rounds, threads, knn == null ? Double.NaN : median(ms[4]),
                knn == null ? Double.NaN : median(ms[5]), knn == null ? 0 : knn.k(),
                mlp == null ? Double.NaN : median(ms[6]), mlp == null ? Double.NaN : median(ms[7]),
                mlp == null ? 0 : mlp.weightBytes(), mlp == null ? Double.NaN : median(ms[8]), pairedRatios(ms),
                median(ms[9]), median(ms[10]));
    }

    /** Prefills one context alone, in batches. */
    private static void single(LlamaContext ctx, int[] prompt) {
        int batch = ctx.nBatch();
        for (int start = 0; start < prompt.length; start += batch) {
            int[] chunk = Arrays.copyOfRange(prompt, start, Math.min(prompt.length, start + batch));
            ctx.decode(chunk, ctx.nPast(), false); // the last token's logits only, as generation and llama-bench prefill
        }
    }

    /** Mean ms of a greedy step (sample + decode) of one context alone. */
    private static double singleSteps(LlamaContext ctx, int pos, int tokens) {
        try (SamplerChain chain = SamplerChain.builder().greedy().build()) {
            long t0 = System.nanoTime();
            for (int i = 0; i < tokens; i++) {
                int t = chain.sample(ctx, -1);
                ctx.decode(new int[] {t}, pos + i, true);
            }
            return (System.nanoTime() - t0) / 1e6 / tokens;
        }
    }

    /**
     * Mean ms of a kNN-LM step (host decode with key capture, FAISS search, p_kNN, mixing, greedy argmax of
     * (1 − λ)·p_host + λ·p_kNN) and of its retrieval-and-mixing part.
     */
    private static double[] knnSteps(JointDecoder decoder, KnnRetriever knn, int vocab, double lambda, int pos,
            int tokens) {
        LlamaContext ctx = decoder.hostContext();
        float[] logits = new float[vocab];
        long retrieval = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < tokens; i++) {
            long r0 = System.nanoTime();
            float[] keys = ctx.captured(knn.keyTensor()).values();
            KnnDistribution p = knn.retrieve(Arrays.copyOfRange(keys, keys.length - knn.dimension(), keys.length), 1)
                    .getFirst();
            ctx.copyLogits(-1, logits);
            double lse = LogSpace.logSumExp(logits);
            double hostScale = 1 - lambda;
            int best = 0;
            double bestP = -1;
            for (int y = 0; y < vocab; y++) {
                double q = hostScale * Math.exp(logits[y] - lse);
                if (q > bestP) {
                    bestP = q;
                    best = y;
                }
            }
            for (int j = 0; j < p.tokens().length; j++) {
                int y = p.tokens()[j];
                double q = hostScale * Math.exp(logits[y] - lse) + lambda * p.probs()[j];
                if (y < vocab && q > bestP) {
                    bestP = q;
                    best = y;
                }
            }
            retrieval += System.nanoTime() - r0;
            ctx.decode(new int[] {best}, pos + i, true);
        }
        return new double[] {(System.nanoTime() - t0) / 1e6 / tokens, retrieval / 1e6 / tokens};
    }

    /**
     * Mean ms of a host + MLP-memory step (host decode capturing the key, MLP forward on the last row, mixing
     * sampler, greedy), of its MLP-forward part, and of the same forward alone: {@code tokens} forwards back to
     * back on the last key, no host decode in between. The last two differ when the host's decode leaves its
     * threads busy on the cores the forward runs on (libgomp's spinning workers on b4916: see the launcher).
     */
    private static double[] mlpSteps(JointDecoder decoder, MlpMemory mlp, int hostVocab, int shared, Mixing mixing,
            int pos, int tokens) {
        LlamaContext ctx = decoder.hostContext();
        MemorySampler sampler = new MemorySampler(hostVocab, shared, mixing, decoder.mixingTeam());
        float[] logits = new float[mlp.config().vocab()];
        String key = mlp.config().host().keyTensor();
        int width = mlp.config().inputWidth();
        long forward = 0;
        try (SamplerChain chain = SamplerChain.builder().custom(sampler).greedy().build()) {
            long t0 = System.nanoTime();
            for (int i = 0; i < tokens; i++) {
                long f0 = System.nanoTime();
                float[] keys = ctx.captured(key).values();
                mlp.logits(keys, keys.length - width, logits);
                forward += System.nanoTime() - f0;
                sampler.offerMemoryLogits(logits);
                int t = chain.sample(ctx, -1);
                ctx.decode(new int[] {t}, pos + i, true);
            }
            double step = (System.nanoTime() - t0) / 1e6 / tokens;
            float[] keys = ctx.captured(key).values();
            long a0 = System.nanoTime();
            for (int i = 0; i < tokens; i++) {
                mlp.logits(keys, keys.length - width, logits);
            }
            return new double[] {step, forward / 1e6 / tokens, (System.nanoTime() - a0) / 1e6 / tokens};
        }
    }

    /** Mean ms of a joint step, of its mixing part, of its memory decode and of its host decode. */
    private static double[] jointSteps(JointDecoder decoder, int hostVocab, int shared, Mixing mixing, int tokens) {
        MemorySampler sampler = new MemorySampler(hostVocab, shared, mixing, decoder.mixingTeam());
        float[] memoryLogits = new float[shared + 256];
        try (SamplerChain chain = SamplerChain.builder().custom(sampler).greedy().build()) {
            decoder.takeDecodeNanos();
            long t0 = System.nanoTime();
            for (int i = 0; i < tokens; i++) {
                decoder.memoryLogits(-1, memoryLogits);
                sampler.offerMemoryLogits(memoryLogits);
                int t = chain.sample(decoder.hostContext(), -1);
                decoder.decode(new int[] {t}, new boolean[] {true});
            }
            double step = (System.nanoTime() - t0) / 1e6 / tokens;
            long[] parts = decoder.takeDecodeNanos();
            return new double[] {step, sampler.mixNanos() / 1e6 / tokens, parts[1] / 1e6 / tokens, parts[0] / 1e6 / tokens};
        }
    }

    /** Each round's joint / (host + memory), the round's three phases taken together. */
    private static double[] pairedRatios(double[][] ms) {
        double[] r = new double[ms[0].length];
        for (int i = 0; i < r.length; i++) {
            r[i] = ms[2][i] / (ms[0][i] + ms[1][i]);
        }
        return r;
    }

    /** The median of {@code x} (the mean of the middle two for an even count). */
    public static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}

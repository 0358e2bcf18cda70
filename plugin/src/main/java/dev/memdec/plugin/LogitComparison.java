package dev.memdec.plugin;

import dev.memdec.converter.eval.LogSpace;
import dev.memdec.converter.eval.SlidingWindows;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * How far a test model's next-token distributions are from a reference model's on the same text, as
 * llama-perplexity's {@code --kl-divergence} mode measures a quantized model against its full-precision base:
 * KL(ref‖test) per scored position, top-token agreement, and both perplexities. Both models run the same
 * {@link SlidingWindows} (same windows and scored positions as {@link HostModel#perplexity}), in step through one
 * {@link JointDecoder}: the reference in the host slot, the test model in the memory slot.
 */
public final class LogitComparison {

    private LogitComparison() {
    }

    /**
     * The comparison over every scored position.
     *
     * @param tokens       scored positions
     * @param windows      windows decoded
     * @param meanKl       mean KL(ref‖test) in nats
     * @param klStdError   standard error of {@code meanKl}
     * @param maxKl        the largest KL at one position
     * @param p99Kl        99th percentile (nearest rank) of the per-position KL
     * @param sameTopRate  fraction of positions where both models' most likely token is the same, in [0, 1]
     * @param refNll       summed negative log-likelihood of the text under the reference (nats)
     * @param testNll      summed negative log-likelihood of the text under the test model (nats)
     */
    public record Report(long tokens, int windows, double meanKl, double klStdError, double maxKl, double p99Kl,
            double sameTopRate, double refNll, double testNll) {

        /** Standard error of {@link #sameTopRate()} (binomial). */
        public double sameTopStdError() {
            return tokens < 2 ? 0 : Math.sqrt(sameTopRate * (1 - sameTopRate) / (tokens - 1));
        }

        public double refPpl() {
            return Math.exp(refNll / tokens);
        }

        public double testPpl() {
            return Math.exp(testNll / tokens);
        }

        /** PPL(test) / PPL(ref). */
        public double pplRatio() {
            return Math.exp((testNll - refNll) / tokens);
        }
    }

    /**
     * Compares {@code test} against {@code ref} on {@code text}.
     *
     * @param window    tokens per window (the context of both models), at least 2
     * @param stride    window step, in [1, window]
     * @param maxTokens use only the first this many tokens of the text; 0 = all
     * @param options   threads and batch size; the context size is {@code window}
     * @param progress  called with the number of windows done after each window (may be null)
     * @throws IllegalArgumentException if a file is missing or not valid GGUF, the window exceeds a model's
     *                                  training context, the tokenizers or vocabulary sizes differ, or the text
     *                                  has fewer than 2 tokens
     */
    public static Report compare(Path ref, Path test, String text, int window, int stride, int maxTokens,
            RuntimeOptions options, IntConsumer progress) throws IOException {
        if (window < 2) {
            throw new IllegalArgumentException("--ctx must be >= 2, got " + window);
        }
        if (stride < 1 || stride > window) {
            throw new IllegalArgumentException("--stride must be in [1, --ctx=" + window + "], got " + stride);
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("--max-tokens must be >= 0 (0 = all), got " + maxTokens);
        }
        // Both files are validated in Java before llama.cpp sees either, and the window checked against both.
        checkWindow(ref, "--ref", window);
        checkWindow(test, "--test", window);
        RuntimeOptions o = options.withContextSize(window);
        try (HostModel reference = HostModel.open(ref, o);
             MemoryModel tested = MemoryModel.open(test, o)) {
            List<String> diffs = TokenizerCompatibility.differences(reference.tokenizer(), tested.tokenizer());
            if (!diffs.isEmpty()) {
                throw new IllegalArgumentException("--test " + test + " does not share the tokenizer of --ref " + ref
                        + ": " + String.join("; ", diffs));
            }
            int vocab = reference.vocabSize();
            if (tested.tokenizer().vocabSize() != vocab) {
                throw new IllegalArgumentException("--test " + test + " has " + tested.tokenizer().vocabSize()
                        + " tokens but --ref " + ref + " has " + vocab + "; KL needs the same vocabulary");
            }
            reference.attach(tested);
            JointDecoder decoder = reference.decoder();
            int[] all = decoder.hostContext().model().vocab().tokenize(text, false, false);
            int[] tokens = maxTokens > 0 && all.length > maxTokens ? Arrays.copyOf(all, maxTokens) : all;
            if (tokens.length < 2) {
                throw new IllegalArgumentException("the text has " + tokens.length + " token(s); at least 2 are needed");
            }
            return InferenceThread.call(() -> run(decoder, vocab, tokens, window, stride, progress));
        }
    }

    private static void checkWindow(Path file, String flag, int window) throws IOException {
        int trained = TrainingContext.of(file, flag);
        if (window > trained) {
            throw new IllegalArgumentException("--ctx " + window + " exceeds the training context " + trained
                    + " of " + flag + " " + file);
        }
    }

    /** Decodes every window in both models and accumulates the statistics; runs on the inference thread. */
    private static Report run(JointDecoder decoder, int vocab, int[] tokens, int window, int stride,
            IntConsumer progress) {
        List<SlidingWindows.Window> windows = SlidingWindows.of(tokens.length, window, stride);
        float[] refLogits = new float[vocab];
        float[] testLogits = new float[vocab];
        double[] kls = new double[tokens.length];
        int n = 0;
        long sameTop = 0;
        double refNll = 0;
        double testNll = 0;
        int done = 0;
        int batch = decoder.nBatch();
        for (SlidingWindows.Window w : windows) {
            if (w.scoredCount() == 0) {
                continue;
            }
            decoder.clear();
            // The logits at absolute position p predict token p + 1: positions firstScored-1 .. end-2 are scored.
            for (int start = w.begin(); start < w.end(); start += batch) {
                int end = Math.min(w.end(), start + batch);
                boolean[] outputs = new boolean[end - start];
                boolean any = false;
                for (int p = start; p < end; p++) {
                    outputs[p - start] = scored(w, p);
                    any |= outputs[p - start];
                }
                if (!any) {
                    outputs[outputs.length - 1] = true; // llama.cpp wants at least one output row per batch
                }
                decoder.decode(Arrays.copyOfRange(tokens, start, end), outputs);
                for (int p = start; p < end; p++) {
                    if (!scored(w, p)) {
                        continue;
                    }
                    decoder.hostLogits(p - start, refLogits);
                    decoder.memoryLogits(p - start, testLogits);
                    Position s = Position.of(refLogits, testLogits, tokens[p + 1]);
                    kls[n++] = s.kl();
                    refNll -= s.refLogProb();
                    testNll -= s.testLogProb();
                    if (s.sameTop()) {
                        sameTop++;
                    }
                }
            }
            done++;
            if (progress != null) {
                progress.accept(done);
            }
        }
        return summarize(Arrays.copyOf(kls, n), windows.size(), sameTop, refNll, testNll);
    }

    private static boolean scored(SlidingWindows.Window w, int p) {
        return p >= w.firstScored() - 1 && p + 1 < w.end();
    }

    private static Report summarize(double[] kls, int windows, long sameTop, double refNll, double testNll) {
        int n = kls.length;
        double sum = 0;
        double sumSq = 0;
        for (double k : kls) {
            sum += k;
            sumSq += k * k;
        }
        double mean = sum / n;
        // llama-perplexity's estimate: sqrt((E[x²] − mean²) / (n − 1)).
        double stdError = n < 2 ? 0 : Math.sqrt(Math.max(0, sumSq / n - mean * mean) / (n - 1));
        double[] sorted = kls.clone();
        Arrays.sort(sorted);
        double p99 = sorted[Math.max(0, (int) Math.ceil(0.99 * n) - 1)];
        return new Report(n, windows, mean, stdError, sorted[n - 1], p99, (double) sameTop / n, refNll, testNll);
    }

    /**
     * One scored position: KL(ref‖test) = Σ p_ref·(log p_ref − log p_test), log-softmax in double with the max
     * subtracted; the log-probabilities of the actual next token; whether the argmax tokens agree.
     */
    record Position(double kl, double refLogProb, double testLogProb, boolean sameTop) {

        static Position of(float[] ref, float[] test, int target) {
            int refTop = argmax(ref);
            int testTop = argmax(test);
            double refLse = LogSpace.logSumExp(ref);
            double testLse = LogSpace.logSumExp(test);
            double kl = 0;
            for (int i = 0; i < ref.length; i++) {
                double lp = ref[i] - refLse;
                double lq = test[i] - testLse;
                if (lp != Double.NEGATIVE_INFINITY) { // a token the reference rules out adds nothing
                    kl += Math.exp(lp) * (lp - lq);
                }
            }
            // Rounding can leave a tiny negative sum for near-identical distributions; KL itself is never < 0.
            return new Position(Math.max(0, kl), ref[target] - refLse, test[target] - testLse, refTop == testTop);
        }

        private static int argmax(float[] x) {
            int best = 0;
            for (int i = 1; i < x.length; i++) {
                if (x[i] > x[best]) {
                    best = i;
                }
            }
            return best;
        }
    }
}

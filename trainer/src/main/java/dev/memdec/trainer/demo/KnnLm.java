package dev.memdec.trainer.demo;

import dev.memdec.converter.eval.SlidingWindows;
import dev.memdec.natives.faiss.FaissIndex;
import dev.memdec.natives.faiss.Neighbours;
import dev.memdec.natives.llama.CapturedTensor;
import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import dev.memdec.trainer.datastore.Datastore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The kNN-LM baseline the memory decoder imitates (reference-spec §7.6, §8): at every scored position the host's
 * key (last FFN input, as in the datastore) queries the domain datastore's index, and
 * p = (1 − λ)·p_host + λ·p_kNN with p_kNN = softmax(−d/T) over the k neighbours, summed per next token. Unlike the
 * training targets nothing is excluded: held-out text is not in the datastore.
 */
final class KnnLm {

    /** Per scored token: the host's log-probability and p_kNN of the token that follows. */
    record Scores(double[] hostLogProb, double[] knnProb) {

        double hostPerplexity() {
            return perplexity(0);
        }

        /** exp(mean −log((1 − λ)·p_host + λ·p_kNN)). */
        double perplexity(double lambda) {
            double nll = 0;
            for (int i = 0; i < hostLogProb.length; i++) {
                double host = Math.log1p(-lambda) + hostLogProb[i];
                if (lambda == 0 || knnProb[i] == 0) {
                    nll -= host;
                } else {
                    double knn = Math.log(lambda) + Math.log(knnProb[i]);
                    double max = Math.max(host, knn);
                    nll -= max + Math.log(Math.exp(host - max) + Math.exp(knn - max));
                }
            }
            return Math.exp(nll / hostLogProb.length);
        }

        /** The λ of {@code lambdas} with the lowest perplexity. */
        double bestLambda(List<Double> lambdas) {
            return lambdas.stream().min(java.util.Comparator.comparingDouble(this::perplexity)).orElseThrow();
        }
    }

    private KnnLm() {
    }

    /**
     * Scores {@code tokens} in sliding windows of {@code ctx} tokens with stride {@code stride} (the perplexity
     * windows), with the neighbours found in {@code index} over the keys of {@code datastore}.
     */
    static Scores score(Path host, FaissIndex index, Datastore datastore, int[] tokens, int ctx, int stride, int k,
                        double temperature, int threads, IntConsumer windowsDone) throws IOException {
        List<SlidingWindows.Window> windows = SlidingWindows.of(tokens.length, ctx, stride);
        int total = windows.stream().mapToInt(SlidingWindows.Window::scoredCount).sum();
        double[] hostLogProb = new double[total];
        double[] knnProb = new double[total];
        int neighbours = (int) Math.min(k, datastore.count());
        try (LlamaModel model = LlamaModel.load(host, ModelOptions.defaults())) {
            String key = LlamaContext.ffnInput(model.nLayer() - 1);
            ContextOptions options = ContextOptions.defaults().withNCtx(ctx).withBatch(ctx, Math.min(ctx, 512))
                    .withThreads(threads, threads).withCapture(key);
            float[] logits = new float[model.vocab().size()];
            int row = 0;
            int done = 0;
            try (LlamaContext context = LlamaContext.create(model, options)) {
                for (SlidingWindows.Window w : windows) {
                    int n = w.scoredCount();
                    if (n > 0) {
                        int[] window = java.util.Arrays.copyOfRange(tokens, w.begin(), w.end());
                        boolean[] outputs = new boolean[window.length];
                        for (int t = w.firstScored() - 1; t < w.end() - 1; t++) {
                            outputs[t - w.begin()] = true;
                        }
                        context.kvClear();
                        context.decode(window, 0, outputs);
                        CapturedTensor keys = context.captured(key);
                        Neighbours nb = index.search(keys.values(), n, neighbours);
                        for (int i = 0; i < n; i++) {
                            int target = tokens[w.firstScored() + i];
                            context.copyLogits(w.firstScored() - 1 + i - w.begin(), logits);
                            hostLogProb[row] = logits[target] - logSumExp(logits);
                            knnProb[row] = knnProbability(nb, i, target, temperature, datastore);
                            row++;
                        }
                    }
                    windowsDone.accept(++done);
                }
            }
        }
        return new Scores(hostLogProb, knnProb);
    }

    private static double knnProbability(Neighbours nb, int query, int target, double temperature, Datastore ds) {
        double dmin = Double.POSITIVE_INFINITY;
        for (int r = 0; r < nb.k(); r++) {
            if (nb.id(query, r) >= 0) {
                dmin = Math.min(dmin, nb.distance(query, r));
            }
        }
        double all = 0;
        double hit = 0;
        for (int r = 0; r < nb.k(); r++) {
            long id = nb.id(query, r);
            if (id < 0) {
                continue;
            }
            double w = Math.exp(-(nb.distance(query, r) - dmin) / temperature);   // shifted: softmax is invariant
            all += w;
            if (ds.value(id) == target) {
                hit += w;
            }
        }
        return all == 0 ? 0 : hit / all;
    }

    private static double logSumExp(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : x) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum);
    }
}

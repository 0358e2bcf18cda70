package dev.memdec.plugin.retrieval;

import dev.memdec.converter.eval.LogSpace;
import dev.memdec.converter.eval.SlidingWindows;
import dev.memdec.natives.faiss.FaissIndex;
import dev.memdec.natives.faiss.Neighbours;
import dev.memdec.natives.llama.CapturedTensor;
import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The kNN-LM (reference-spec §7.6, §8) over a datastore and its FAISS index: the host's key at a position (the
 * datastore's key type, captured in the same decode) queries the index, and p_kNN = softmax(−d/T) over the k
 * neighbours, summed per next token (§5.3; log floor §5.5). Unlike the training targets nothing is excluded:
 * evaluated text is not assumed to be in the datastore. The runtime reaches it as a {@link KnnRetriever} through
 * {@link KnnLmProvider}; {@link #score} serves callers that score token arrays directly (the demo).
 * Not thread-safe beyond {@link #retrieve} being synchronized (it keeps a vocabulary-sized scratch array).
 */
public final class KnnLm implements KnnRetriever {

    private final FaissIndex index;
    private final Datastore datastore;
    private final String keyTensor;
    private final int k;
    private final double temperature;
    private final boolean owned;
    private double[] mass = new double[0];
    private int[] touched = new int[0];

    /**
     * @param keyTensor the host graph node matching the datastore's key type
     * @param k         neighbours per query; more than the datastore holds means all of them
     * @param owned     whether {@link #close()} closes {@code index} and {@code datastore}
     */
    KnnLm(FaissIndex index, Datastore datastore, String keyTensor, int k, double temperature, boolean owned) {
        if (k < 1 || !(temperature > 0)) {
            throw new IllegalArgumentException("kNN-LM needs k >= 1 and temperature > 0, got k=" + k + " T=" + temperature);
        }
        this.index = index;
        this.datastore = datastore;
        this.keyTensor = keyTensor;
        this.k = (int) Math.min(k, datastore.count());
        this.temperature = temperature;
        this.owned = owned;
    }

    /** The host node whose rows are keys of type {@code type}, for a host with {@code layers} blocks. */
    public static String keyTensor(KeyType type, int layers) {
        return type == KeyType.FFN_INPUT ? LlamaContext.ffnInput(layers - 1) : LlamaContext.RESULT_NORM;
    }

    @Override
    public String keyTensor() {
        return keyTensor;
    }

    @Override
    public int dimension() {
        return datastore.dimension();
    }

    @Override
    public int k() {
        return k;
    }

    @Override
    public double temperature() {
        return temperature;
    }

    @Override
    public Path source() {
        return datastore.directory();
    }

    @Override
    public synchronized List<KnnDistribution> retrieve(float[] keys, int n) {
        if ((long) n * dimension() != keys.length) {
            throw new IllegalArgumentException(keys.length + " floats are not " + n + " keys of width " + dimension());
        }
        List<KnnDistribution> out = new ArrayList<>(n);
        if (n == 0) {
            return out;
        }
        Neighbours nb = index.search(keys, n, k);
        for (int q = 0; q < n; q++) {
            out.add(distribution(nb, q));
        }
        return out;
    }

    /** softmax(−d/T) over one query's neighbours, summed per next token. */
    private KnnDistribution distribution(Neighbours nb, int query) {
        double dmin = Double.POSITIVE_INFINITY;
        for (int r = 0; r < nb.k(); r++) {
            if (nb.id(query, r) >= 0) {
                dmin = Math.min(dmin, nb.distance(query, r));
            }
        }
        if (touched.length < nb.k()) {
            touched = new int[nb.k()];
        }
        int distinct = 0;
        double total = 0;
        for (int r = 0; r < nb.k(); r++) {
            long id = nb.id(query, r);
            if (id < 0) {
                continue;   // FAISS pads with -1 when fewer neighbours were found
            }
            int token = datastore.value(id);
            if (token >= mass.length) {
                mass = Arrays.copyOf(mass, Math.max(token + 1, 2 * mass.length));
            }
            // Shifting by the smallest distance keeps exp() in range; softmax is invariant to it.
            double w = Math.exp(-(nb.distance(query, r) - dmin) / temperature);
            if (mass[token] == 0) {
                touched[distinct++] = token;
            }
            mass[token] += w;
            total += w;
        }
        int[] tokens = Arrays.copyOf(touched, distinct);
        double[] probs = new double[distinct];
        for (int i = 0; i < distinct; i++) {
            probs[i] = mass[tokens[i]] / total;
            mass[tokens[i]] = 0;
        }
        return new KnnDistribution(tokens, probs);
    }

    @Override
    public void close() {
        if (owned) {
            index.close();
            datastore.close();
        }
    }

    /**
     * Per scored token: the host's log-probability and the probability another model gives the same token (p_kNN
     * here; any per-token distribution, e.g. an n-gram's, mixes the same way).
     */
    public record Scores(double[] hostLogProb, double[] knnProb) {

        public Scores {
            if (hostLogProb.length != knnProb.length) {
                throw new IllegalArgumentException("scores of " + hostLogProb.length + " and " + knnProb.length
                        + " tokens cannot be mixed");
            }
        }

        /** The same host scores mixed with {@code otherProb} instead. */
        public Scores with(double[] otherProb) {
            return new Scores(hostLogProb, otherProb);
        }

        public double hostPerplexity() {
            return perplexity(0);
        }

        /** exp(mean −log((1 − λ)·p_host + λ·p_kNN)), p_kNN = 0 floored as in the runtime's kNN-LM. */
        public double perplexity(double lambda) {
            double nll = 0;
            for (int i = 0; i < hostLogProb.length; i++) {
                double knn = knnProb[i] > 0 ? Math.log(knnProb[i]) : KnnDistribution.LOG_FLOOR;
                nll -= KnnDistribution.mixedLogProb(hostLogProb[i], knn, lambda);
            }
            return Math.exp(nll / hostLogProb.length);
        }

        /** The λ of {@code lambdas} with the lowest perplexity. */
        public double bestLambda(List<Double> lambdas) {
            return lambdas.stream().min(Comparator.comparingDouble(this::perplexity)).orElseThrow();
        }
    }

    /**
     * A second model of the next token that reads the same captured key rows as the kNN-LM (an MLP memory's
     * {@code logits}), scored in the same pass so the host is decoded once for both.
     */
    @FunctionalInterface
    public interface KeyModel {
        /** Raw next-token logits of {@code rows} keys from {@code keys[offset ..]}, row r at {@code logits[r·vocab ..]}. */
        void logits(float[] keys, int offset, int rows, float[] logits);
    }

    /**
     * Per-token scores of one pass over the text: the host with p_kNN, and the host with the {@link KeyModel}'s
     * probability of each target ({@code keyModel} is null when none was given).
     */
    public record Scored(Scores knn, Scores keyModel) {
    }

    /** Scored rows whose keys are searched together in {@link #score}. */
    private static final int QUERY_BATCH = 1024;

    /** p_kNN of each pending row's target: rows {@code [from, to)}, their keys at the start of {@code keys}. */
    private void fill(float[] keys, int from, int to, int[] tokens, int[] targetOf, double[] knnProb) {
        if (to == from) {
            return;
        }
        List<KnnDistribution> p = retrieve(Arrays.copyOf(keys, (to - from) * dimension()), to - from);
        for (int r = from; r < to; r++) {
            knnProb[r] = p.get(r - from).probability(tokens[targetOf[r]]);
        }
    }

    /**
     * Scores {@code tokens} in sliding windows of {@code ctx} tokens with stride {@code stride} (the perplexity
     * windows), with the neighbours found in {@code index} over the keys of {@code datastore} (both stay open), and, in
     * the same decode, {@code keyModel} (may be null) on the same captured key rows.
     *
     * @param keyModelTensor the host node {@code keyModel} reads; it must be the datastore's key node
     */
    public static Scored score(Path host, FaissIndex index, Datastore datastore, int[] tokens, int ctx, int stride,
                               int k, double temperature, int threads, KeyModel keyModel, String keyModelTensor,
                               IntConsumer windowsDone) throws IOException {
        List<SlidingWindows.Window> windows = SlidingWindows.of(tokens.length, ctx, stride);
        int total = windows.stream().mapToInt(SlidingWindows.Window::scoredCount).sum();
        double[] hostLogProb = new double[total];
        double[] knnProb = new double[total];
        double[] otherProb = keyModel == null ? null : new double[total];
        int[] targetOf = new int[total];   // scored row -> index of its target in tokens
        int at = 0;
        for (SlidingWindows.Window w : windows) {
            for (int i = 0; i < w.scoredCount(); i++) {
                targetOf[at++] = w.firstScored() + i;
            }
        }
        try (LlamaModel model = LlamaModel.load(host, ModelOptions.defaults())) {
            KnnLm knn = new KnnLm(index, datastore, keyTensor(datastore.manifest().spec().keyType(), model.nLayer()),
                    k, temperature, false);
            if (keyModel != null && !knn.keyTensor().equals(keyModelTensor)) {
                throw new IllegalArgumentException("the second model reads " + keyModelTensor + " but the datastore's "
                        + "keys are " + knn.keyTensor() + "; score it in a pass of its own");
            }
            ContextOptions options = ContextOptions.defaults().withNCtx(ctx).withBatch(ctx, Math.min(ctx, 512))
                    .withThreads(threads, threads).withCapture(knn.keyTensor());
            float[] logits = new float[model.vocab().size()];
            int vocab = model.vocab().size();
            float[] otherLogits = new float[0];
            int row = 0;
            int done = 0;
            // Keys wait here until QUERY_BATCH rows are pending: one large search runs at about twice the rate per
            // query of one search per window (FAISS's flat search is a matrix product).
            int dim = knn.dimension();
            float[] pending = new float[QUERY_BATCH * dim];
            int pendingFrom = 0;
            try (LlamaContext context = LlamaContext.create(model, options)) {
                for (SlidingWindows.Window w : windows) {
                    int n = w.scoredCount();
                    if (n > 0) {
                        int[] window = Arrays.copyOfRange(tokens, w.begin(), w.end());
                        boolean[] outputs = new boolean[window.length];
                        for (int t = w.firstScored() - 1; t < w.end() - 1; t++) {
                            outputs[t - w.begin()] = true;
                        }
                        context.kvClear();
                        context.decode(window, 0, outputs);
                        CapturedTensor keys = context.captured(knn.keyTensor());
                        float[] keyRows = keys.values();
                        if ((row - pendingFrom + n) * dim > pending.length) {
                            pending = Arrays.copyOf(pending, (row - pendingFrom + n) * dim);
                        }
                        System.arraycopy(keyRows, 0, pending, (row - pendingFrom) * dim, n * dim);
                        if (keyModel != null) {
                            if (otherLogits.length < n * vocab) {
                                otherLogits = new float[n * vocab];
                            }
                            keyModel.logits(keyRows, 0, n, otherLogits);
                        }
                        for (int i = 0; i < n; i++) {
                            int target = tokens[w.firstScored() + i];
                            context.copyLogits(w.firstScored() - 1 + i - w.begin(), logits);
                            hostLogProb[row] = LogSpace.logSoftmax(logits, target);
                            if (keyModel != null) {
                                otherProb[row] = Math.exp(LogSpace.logSoftmax(otherLogits, i * vocab, vocab, target));
                            }
                            row++;
                        }
                        if (row - pendingFrom >= QUERY_BATCH) {
                            knn.fill(pending, pendingFrom, row, tokens, targetOf, knnProb);
                            pendingFrom = row;
                        }
                    }
                    windowsDone.accept(++done);
                }
                knn.fill(pending, pendingFrom, row, tokens, targetOf, knnProb);
            }
        }
        return new Scored(new Scores(hostLogProb, knnProb),
                otherProb == null ? null : new Scores(hostLogProb, otherProb));
    }
}

package dev.memdec.plugin.retrieval;

import com.google.gson.GsonBuilder;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.natives.faiss.FaissIndex;
import dev.memdec.plugin.HostModel;
import dev.memdec.plugin.MemoryModel;
import dev.memdec.plugin.PerplexityReport;
import dev.memdec.plugin.RuntimeOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * One point of the kNN-LM vs Memory Decoder curve (issue 18): over a datastore and a flat index built here or the
 * IVF-PQ index of a {@code memdec knn} directory, the kNN-LM's retrieval cost per decoded token (one query key at a
 * time, as a decode step asks: FAISS search of k neighbours + softmax(−d/T) summed per token) and the held-out
 * perplexity of host + kNN-LM, and/or of host + a memory GGUF, on a validation and a test text, λ chosen as the
 * λ of the grid with the lowest validation perplexity (the demo's rule without its general-text bound). Scoring is
 * {@code memdec perplexity}'s ({@link HostModel#perplexity}, llama.cpp's tokenizer, windows of ctx with stride).
 * Not a test: run it by hand (scripts/bench/scale-1m.sh does); prints one JSON object.
 *
 * <pre>java -cp ... dev.memdec.plugin.retrieval.KnnLmCurve host=H.gguf valid=V.txt test=T.txt
 *     [ds=DIR index=flat|KNN_DIR [nprobe=N]] [memory=M.gguf] [k=256] [temp=16] [ctx=128] [stride=64] [threads=2]
 *     [latency=300]</pre>
 */
public final class KnnLmCurve {

    private KnnLmCurve() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> a = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("argument '" + arg + "' is not key=value");
            }
            a.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Path host = Path.of(required(a, "host"));
        String valid = Files.readString(Path.of(required(a, "valid")), StandardCharsets.UTF_8);
        String test = Files.readString(Path.of(required(a, "test")), StandardCharsets.UTF_8);
        int k = Integer.parseInt(a.getOrDefault("k", "256"));
        double temp = Double.parseDouble(a.getOrDefault("temp", "16"));
        int ctx = Integer.parseInt(a.getOrDefault("ctx", "128"));
        int stride = Integer.parseInt(a.getOrDefault("stride", "64"));
        int threads = Integer.parseInt(a.getOrDefault("threads", "2"));
        int latencyQueries = Integer.parseInt(a.getOrDefault("latency", "300"));
        List<Double> lambdas = IntStream.rangeClosed(0, 19).mapToObj(i -> i / 20.0).toList();
        Map<String, Object> out = new LinkedHashMap<>();
        RuntimeOptions runtime = RuntimeOptions.defaults().withThreads(threads).withContextSize(ctx);

        Datastore ds = null;
        FaissIndex index = null;
        KnnLm knn = null;
        try {
            if (a.containsKey("ds")) {
                ds = Datastore.open(Path.of(a.get("ds")));
                String which = required(a, "index");
                long t0 = System.nanoTime();
                if (which.equals("flat")) {
                    index = KnnBuilder.buildIndex(ds, new IndexPlan(IndexType.FLAT, "Flat", 0));
                } else {
                    try (KnnDistributions dir = KnnDistributions.open(Path.of(which))) {
                        index = dir.openIndex(ds);   // with the build's nprobe unless nprobe= is given
                        int nprobe = a.containsKey("nprobe") ? Integer.parseInt(a.get("nprobe"))
                                : dir.manifest().index().nprobe();
                        index.setNprobe(nprobe);
                        out.put("nprobe", nprobe);
                    }
                }
                out.put("entries", ds.count());
                out.put("index", index.description());
                out.put("index_seconds", (System.nanoTime() - t0) / 1e9);
                int layers;
                try (GgufFile g = GgufFile.open(host)) {
                    layers = (int) g.getUInt32(g.architecture() + ".block_count");
                }
                knn = new KnnLm(index, ds, KnnLm.keyTensor(ds.manifest().spec().keyType(), layers), k, temp, false);
                out.put("k", knn.k());
                out.put("temperature", temp);
                out.put("retrieval_ms_per_token", latency(knn, ds, latencyQueries));
            }
            MemoryModel memory = null;
            try (HostModel h = HostModel.open(host, runtime, knn)) {
                if (a.containsKey("memory")) {
                    memory = MemoryModel.open(Path.of(a.get("memory")), runtime);
                    h.attach(memory);
                    out.put("memory", a.get("memory"));
                }
                long t0 = System.nanoTime();
                PerplexityReport v = h.perplexity(valid, ctx, stride, lambdas, 1.0, null);
                PerplexityReport t = h.perplexity(test, ctx, stride, lambdas, 1.0, null);
                out.put("scoring_seconds", (System.nanoTime() - t0) / 1e9);
                out.put("valid_tokens", v.tokens());
                out.put("test_tokens", t.tokens());
                out.put("host_valid_ppl", v.hostPpl());
                out.put("host_test_ppl", t.hostPpl());
                if (memory != null) {
                    out.put("memory_curve", chosen(v.joint(), t.joint()));
                }
                if (knn != null) {
                    out.put("knn_lm_curve", chosen(v.knn(), t.knn()));
                }
            } finally {
                if (memory != null) {
                    memory.close();
                }
            }
        } finally {
            if (index != null) {
                index.close();
            }
            if (ds != null) {
                ds.close();
            }
        }
        System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(out));
    }

    /** The λ with the lowest validation perplexity, its validation and test perplexity, and the sweeps. */
    private static Map<String, Object> chosen(List<PerplexityReport.Joint> valid, List<PerplexityReport.Joint> test) {
        int best = 0;
        for (int i = 1; i < valid.size(); i++) {
            if (valid.get(i).ppl() < valid.get(best).ppl()) {
                best = i;
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lambda", valid.get(best).lambda());
        m.put("valid_ppl", valid.get(best).ppl());
        m.put("test_ppl", test.get(best).ppl());
        List<double[]> sweep = new ArrayList<>();
        for (int i = 0; i < valid.size(); i++) {
            sweep.add(new double[] {valid.get(i).lambda(), valid.get(i).ppl(), test.get(i).ppl()});
        }
        m.put("sweep_lambda_valid_test", sweep);
        return m;
    }

    /**
     * Median and mean milliseconds of one {@link KnnLm#retrieve} of a single key (a decode step's retrieval), over
     * {@code n} datastore keys sampled with a fixed seed (real host keys; an entry finds itself, which costs the
     * same), after 20 warm-up queries.
     */
    private static Map<String, Double> latency(KnnLm knn, Datastore ds, int n) {
        long[] rows = KnnBuilder.trainingRows(ds.count(), n + 20, 11);
        float[] key = new float[ds.dimension()];
        double[] ms = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            ds.readKeys(rows[i], 1, key);
            long t0 = System.nanoTime();
            knn.retrieve(key, 1);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        double[] timed = Arrays.copyOfRange(ms, 20, ms.length);
        Arrays.sort(timed);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("median", timed[timed.length / 2]);
        m.put("mean", Arrays.stream(timed).average().orElse(0));
        m.put("p90", timed[(int) (timed.length * 0.9)]);
        return m;
    }

    private static String required(Map<String, String> a, String key) {
        String v = a.get(key);
        if (v == null) {
            throw new IllegalArgumentException("missing " + key + "=...");
        }
        return v;
    }
}

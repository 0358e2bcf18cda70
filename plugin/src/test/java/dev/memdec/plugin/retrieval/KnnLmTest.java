package dev.memdec.plugin.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.plugin.BenchmarkReport;
import dev.memdec.plugin.DecodeBenchmark;
import dev.memdec.plugin.HostModel;
import dev.memdec.plugin.MemoryModel;
import dev.memdec.plugin.PerplexityReport;
import dev.memdec.plugin.RuntimeOptions;
import dev.memdec.plugin.cli.CliRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live kNN-LM of the runtime over a tiny random host, a datastore of a few lines and a flat index. */
class KnnLmTest {

    static final int CTX = 32;
    static final int STRIDE = 16;
    static final double T = 16;

    @TempDir
    static Path dir;
    static Path host;
    static Path datastore;
    static Path knn;
    static int[] corpusTokens;

    static void writeHost(Path out, int embd, BpeVocabulary vocabulary) throws IOException {
        Gpt2Config c = Gpt2Config.of(2, embd, 2, 64, Gpt2Tokenizer.VOCAB_SIZE);
        Gpt2GgufExporter.write(c, new RandomGpt2Weights(c, 7), vocabulary, GgmlType.F32, Map.of(), out);
    }

    static final DatastoreBuilder.Progress QUIET = new DatastoreBuilder.Progress() {
        @Override
        public void start(long totalEntries, long entriesDone) {
        }

        @Override
        public void step(long entries) {
        }
    };

    @BeforeAll
    static void hostDatastoreAndIndex() throws IOException {
        host = dir.resolve("host.gguf");
        writeHost(host, 64, Gpt2Tokenizer.vocabulary());
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            text.append("Line ").append(i).append(": the whale swam past ship number ").append(i * 7).append(".\n");
        }
        Path corpus = Files.writeString(dir.resolve("corpus.txt"), text);
        datastore = dir.resolve("ds");
        DatastoreBuilder.build(host, List.of(corpus), datastore,
                new DatastoreBuilder.Options(CTX, STRIDE, KeyType.FFN_INPUT, 2), QUIET);
        knn = dir.resolve("knn");
        try (Datastore ds = Datastore.open(datastore)) {
            KnnBuilder.build(ds, knn, new KnnConfig(8, T, 0, IndexType.FLAT, 32, 1_000_000, ProbType.F32), n -> { });
            corpusTokens = ds.tokens(0, 0, ds.manifest().streamLengths().get(0));
        }
    }

    static KnnRetriever open(Path hostFile, int k) throws IOException {
        return KnnRetrieverProvider.open(new KnnRetrieverProvider.Request(knn, datastore, hostFile, k, 0));
    }

    static RuntimeOptions options() {
        return RuntimeOptions.defaults().withThreads(2).withContextSize(CTX);
    }

    @Test
    void providerIsFoundAndLambdaZeroIsTheHostExactly() throws IOException {
        try (KnnRetriever r = open(host, 0);
             HostModel h = HostModel.open(host, options(), r)) {
            assertInstanceOf(KnnLm.class, r);
            assertEquals("ffn_norm-1", r.keyTensor());
            assertEquals(8, r.k());
            assertEquals(T, r.temperature());
            PerplexityReport report = h.perplexity(corpusTokens, CTX, STRIDE, List.of(0.0, 0.5), 1.0, null);
            assertEquals(2, report.knn().size());
            assertTrue(report.joint().isEmpty());
            assertEquals(report.hostNll(), report.knn().get(0).nll(), 0.0);
            assertEquals(report.hostPpl(), report.knn().get(0).ppl(), 0.0);
            // the text IS the datastore: every position's nearest neighbour is itself, predicting the true token
            assertTrue(report.knn().get(1).ppl() < report.hostPpl() * 0.5,
                    "kNN-LM " + report.knn().get(1).ppl() + " vs host " + report.hostPpl());
        }
    }

    /** p_kNN over all entries by brute force from the stored (fp16) keys: softmax(−‖q − k_j‖²/T) summed per value. */
    static Map<Integer, Double> bruteForce(Datastore ds, float[] q) {
        int n = (int) ds.count();
        int d = ds.dimension();
        float[] keys = new float[n * d];
        ds.readKeys(0, n, keys);
        double[] dist = new double[n];
        double min = Double.POSITIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int i = 0; i < d; i++) {
                double diff = q[i] - keys[j * d + i];
                s += diff * diff;
            }
            dist[j] = s;
            min = Math.min(min, s);
        }
        Map<Integer, Double> p = new HashMap<>();
        double total = 0;
        for (int j = 0; j < n; j++) {
            double w = Math.exp(-(dist[j] - min) / T);
            p.merge(ds.value(j), w, Double::sum);
            total += w;
        }
        double sum = total;
        p.replaceAll((token, w) -> w / sum);
        return p;
    }

    @Test
    void liveKnnProbabilitiesEqualBruteForceOverStoredKeys() throws IOException {
        try (Datastore ds = Datastore.open(datastore);
             KnnRetriever all = open(host, (int) ds.count());
             HostModel h = HostModel.open(host, options(), all)) {
            // per position, from stored keys as queries
            for (long row : new long[] {0, 5, ds.count() / 2, ds.count() - 1}) {
                float[] q = new float[ds.dimension()];
                ds.readKeys(row, 1, q);
                KnnDistribution p = all.retrieve(q, 1).getFirst();
                Map<Integer, Double> expected = bruteForce(ds, q);
                assertEquals(expected.size(), p.tokens().length, "row " + row);
                for (Map.Entry<Integer, Double> e : expected.entrySet()) {
                    assertEquals(e.getValue(), p.probability(e.getKey()), 1e-5, "row " + row + " token " + e.getKey());
                }
            }
            // the live path (keys captured in the perplexity decode) at λ = 1 scores Σ −log p_kNN(target)
            PerplexityReport report = h.perplexity(corpusTokens, CTX, STRIDE, List.of(1.0), 1.0, null);
            double nll = 0;
            float[] q = new float[ds.dimension()];
            for (long row = 0; row < ds.count(); row++) {
                ds.readKeys(row, 1, q);
                double p = bruteForce(ds, q).getOrDefault(ds.value(row), 0.0);
                nll -= p > 0 ? Math.log(p) : KnnDistribution.LOG_FLOOR;
            }
            assertEquals(ds.count(), report.tokens());
            assertEquals(nll, report.knn().getFirst().nll(), 1e-3 * Math.abs(nll) + 1e-3);
        }
    }

    @Test
    void benchTimesKnnLmAgainstTheMemory() throws IOException {
        try (KnnRetriever r = open(host, 0);
             HostModel h = HostModel.open(host, options(), r);
             MemoryModel m = MemoryModel.open(host, options())) {
            BenchmarkReport b = DecodeBenchmark.run(h, m, 8, 4, 1, 2);
            assertTrue(b.hasKnn());
            assertTrue(b.knnDecodeMs() > 0 && b.knnRetrievalMs() > 0 && b.knnRetrievalMs() < b.knnDecodeMs());
            assertEquals(8, b.knnK());
            // one round: the median of the rounds' ratios is that round's ratio
            assertEquals(b.jointDecodeMs() / (b.hostDecodeMs() + b.memoryDecodeMs()), b.jointOverSum(), 1e-12);
            assertEquals(1, b.roundRatios().length);
            // the joint step's parts are timed inside it: each positive, together no more than the step
            assertTrue(b.jointHostDecodeMs() > 0 && b.jointMemoryDecodeMs() > 0 && b.mixMs() > 0, b.toString());
            assertTrue(b.jointOtherMs() >= 0, b.toString());
        }
    }

    @Test
    void datastoreOfAnotherTokenizerOrKeyWidthIsRefused() throws IOException {
        Path narrow = dir.resolve("narrow.gguf");
        writeHost(narrow, 32, Gpt2Tokenizer.vocabulary());
        IllegalArgumentException width = assertThrows(IllegalArgumentException.class, () -> open(narrow, 0));
        assertTrue(width.getMessage().contains("64 dimensions") && width.getMessage().contains("embedding_length 32"),
                width.getMessage());

        BpeVocabulary v = Gpt2Tokenizer.vocabulary();
        List<String> tokens = new ArrayList<>(v.tokens());
        tokens.set(1000, tokens.get(1000) + "x");
        Path other = dir.resolve("other-tokenizer.gguf");
        writeHost(other, 64, new BpeVocabulary(v.model(), v.pre(), tokens, v.tokenTypes(), v.merges(), v.bos(), v.eos(),
                v.pad(), v.addBos()));
        IllegalArgumentException tok = assertThrows(IllegalArgumentException.class, () -> open(other, 0));
        assertTrue(tok.getMessage().contains("another tokenizer") && tok.getMessage().contains("tokenizerSha256"),
                tok.getMessage());

        IOException missing = assertThrows(IOException.class, () -> KnnRetrieverProvider.open(
                new KnnRetrieverProvider.Request(dir.resolve("nope"), datastore, host, 0, 0)));
        assertTrue(missing.getMessage().contains("knn.json"), missing.getMessage());
    }

    /**
     * {@code --knn DIR} alone: the datastore is the one knn.json records (relative to the kNN directory), trusted only
     * when its manifest hashes as recorded. Also the runtime commands' capped defaults: this host's training context
     * is 64, below perplexity's default window of 1024 and bench's default 128 + 64 + 8 tokens.
     */
    @Test
    void knnAloneFindsItsDatastoreThroughTheManifest() throws IOException {
        Path text = Files.writeString(dir.resolve("score.txt"), "Line 3: the whale swam past ship number 21.\n");
        CliRun viaManifest = CliRun.succeed("perplexity", "--host", host.toString(), "--knn", knn.toString(),
                "--lambda", "0.5", "--text", text.toString(), "--threads", "2", "--json");
        CliRun explicit = CliRun.succeed("perplexity", "--host", host.toString(), "--knn", knn.toString(),
                "--datastore", datastore.toString(), "--lambda", "0.5", "--text", text.toString(), "--threads", "2",
                "--json", "--ctx", "64");
        assertTrue(viaManifest.out().contains("knn_lm"), viaManifest.out());
        assertEquals(explicit.out(), viaManifest.out(), "default window = the host's training context 64");
        CliRun bench = CliRun.succeed("bench", "--host", host.toString(), "--memory", host.toString(), "--knn",
                knn.toString(), "--rounds", "1", "--threads", "2", "--json");
        assertTrue(bench.out().contains("\"prompt_tokens\": 37") && bench.out().contains("\"tokens\": 19"),
                bench.out());

        // The kNN directory moved away from its datastore: the recorded path holds nothing.
        Path moved = dir.resolve("moved");
        Path movedKnn = moved.resolve("knn");
        Files.createDirectories(movedKnn);
        try (var files = Files.list(knn)) {
            for (Path f : files.toList()) {
                Files.copy(f, movedKnn.resolve(f.getFileName()));
            }
        }
        CliRun lost = CliRun.run("perplexity", "--host", host.toString(), "--knn", movedKnn.toString(),
                "--lambda", "0.5", "--text", text.toString());
        assertEquals(1, lost.code(), lost.out() + lost.err());
        assertTrue(lost.err().contains("field 'datastore.path'") && lost.err().contains("--datastore"), lost.err());

        // Another datastore where the recorded one was: refused by hash, naming the field and the override.
        Path corpus = Files.writeString(dir.resolve("other-corpus.txt"), "A different text about ships and whales.\n");
        DatastoreBuilder.build(host, List.of(corpus), moved.resolve("ds"),
                new DatastoreBuilder.Options(CTX, STRIDE, KeyType.FFN_INPUT, 2), QUIET);
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> KnnRetrieverProvider.open(
                new KnnRetrieverProvider.Request(movedKnn, null, host, 0, 0)));
        assertTrue(other.getMessage().contains("another datastore") && other.getMessage().contains("--datastore DIR"),
                other.getMessage());
        // --datastore overrides the recorded path.
        try (KnnRetriever r = KnnRetrieverProvider.open(new KnnRetrieverProvider.Request(movedKnn, datastore, host, 0,
                0))) {
            assertEquals(64, r.dimension());
        }
    }
}

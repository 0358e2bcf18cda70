package dev.memdec.plugin.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.plugin.HostModel;
import dev.memdec.plugin.PerplexityReport;
import dev.memdec.plugin.RuntimeOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kNN-LM generalizes within a domain: over a weak (random) host, a datastore of one sample of a small
 * domain's text lowers the perplexity of <em>another</em> sample of that domain, none of whose lines is in the
 * datastore (issue 5's held-out test; {@link KnnLmTest} scores text that is in the datastore).
 */
class KnnLmHeldOutTest {

    static final int CTX = 32;
    static final int STRIDE = 16;

    @TempDir
    Path dir;

    /** Lines of a toy "ship's log" domain: a small vocabulary in a fixed sentence pattern, seeded. */
    static List<String> domainLines(long seed, int n) {
        String[] who = {"the captain", "the mate", "the cook", "a sailor", "the pilot"};
        String[] did = {"saw", "hailed", "followed", "lost", "sighted"};
        String[] what = {"a whale", "the harbour", "a storm", "the island", "a ship"};
        String[] when = {"at dawn", "by night", "at noon", "in the fog"};
        SplittableRandom r = new SplittableRandom(seed);
        return IntStream.range(0, n).mapToObj(i -> who[r.nextInt(who.length)] + " " + did[r.nextInt(did.length)]
                + " " + what[r.nextInt(what.length)] + " " + when[r.nextInt(when.length)] + ".\n").toList();
    }

    @Test
    void knnLmBeatsTheHostOnHeldOutTextOfTheSameDomain() throws IOException {
        Path host = dir.resolve("host.gguf");
        KnnLmTest.writeHost(host, 64, Gpt2Tokenizer.vocabulary());
        List<String> train = domainLines(1, 120);
        Set<String> seen = new HashSet<>(train);
        List<String> heldOut = domainLines(2, 60).stream().filter(l -> !seen.contains(l)).toList();
        assertTrue(heldOut.size() >= 20, "enough unseen lines: " + heldOut.size());

        Path corpus = Files.writeString(dir.resolve("train.txt"), String.join("", train));
        Path datastore = dir.resolve("ds");
        Path knn = dir.resolve("knn");
        DatastoreBuilder.build(host, List.of(corpus), datastore,
                new DatastoreBuilder.Options(CTX, STRIDE, KeyType.FFN_INPUT, 2), KnnLmTest.QUIET);
        try (Datastore ds = Datastore.open(datastore)) {
            KnnBuilder.build(ds, knn, new KnnConfig(16, KnnLmTest.T, 0, IndexType.FLAT, 32, 1, ProbType.F16), n -> { });
        }
        try (KnnRetriever r = KnnRetrieverProvider.open(new KnnRetrieverProvider.Request(knn, datastore, host, 0, 0));
             HostModel h = HostModel.open(host, RuntimeOptions.defaults().withThreads(2).withContextSize(CTX), r)) {
            PerplexityReport report = h.perplexity(String.join("", heldOut), CTX, STRIDE, List.of(0.0, 0.25), 1.0, null);
            assertEquals(report.hostPpl(), report.knn().get(0).ppl(), 0.0, "λ = 0 is the host");
            double knnLm = report.knn().get(1).ppl();
            System.getLogger(KnnLmHeldOutTest.class.getName()).log(System.Logger.Level.INFO,
                    "held-out perplexity over {0} tokens: host {1}, kNN-LM (λ 0.25) {2}", report.tokens(),
                    report.hostPpl(), knnLm);
            assertTrue(knnLm < report.hostPpl() * 0.5, "held-out kNN-LM " + knnLm + " vs host " + report.hostPpl());
        }
    }
}

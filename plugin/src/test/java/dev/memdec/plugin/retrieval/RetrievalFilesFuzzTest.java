package dev.memdec.plugin.retrieval;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.eval.SlidingWindows;
import dev.memdec.converter.fuzz.Fuzz;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated datastore and kNN directories (manifests and raw arrays, and manifests that disagree with their files
 * or with each other), made once from one small real datastore with token streams and its kNN distributions,
 * and opened through the same path the commands take: {@link Datastore#open} with its checksums and every row
 * read; {@link KnnDistributions#open} with its checksums, its alignment to the datastore and every row read.
 */
class RetrievalFilesFuzzTest {

    private static final int CASES = 10_000;
    private static final int D = 4;

    @TempDir
    static Path valid;

    @TempDir
    Path work;

    private static Map<String, byte[]> datastore;
    private static Map<String, byte[]> knn;

    @BeforeAll
    static void build() throws IOException {
        Path ds = valid.resolve("ds");
        int[] tokens = new int[50];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 7) % 13;
        }
        int[] values = new int[0];
        for (SlidingWindows.Window w : SlidingWindows.of(tokens.length, 64, 32)) {
            int[] more = new int[w.scoredCount()];
            for (int p = 0; p < more.length; p++) {
                more[p] = tokens[w.firstScored() + p];
            }
            int[] all = java.util.Arrays.copyOf(values, values.length + more.length);
            System.arraycopy(more, 0, all, values.length, more.length);
            values = all;
        }
        try (DatastoreWriter w = DatastoreWriter.open(ds, TestDatastores.spec(D))) {
            w.tokenStreams(List.of(tokens));
            float[] keys = new float[values.length * D];
            for (int r = 0; r < values.length; r++) {
                System.arraycopy(TestDatastores.key(r % 9, D), 0, keys, r * D, D);
            }
            w.append(keys, values, values.length);
            w.checkpoint(1);
            w.finish();
        }
        try (Datastore store = Datastore.open(ds)) {
            KnnBuilder.build(store, valid.resolve("knn"), KnnBuilderTest.flat(5, 1.0), n -> { });
        }
        datastore = Fuzz.read(ds);
        knn = new TreeMap<>();
        Fuzz.read(ds).forEach((name, bytes) -> knn.put("ds/" + name, bytes));
        Fuzz.read(valid.resolve("knn")).forEach((name, bytes) -> {
            if (!name.equals(KnnManifest.INDEX_FILE)) {   // the FAISS index is not read when training
                knn.put("knn/" + name, bytes);
            }
        });
    }

    private static void readAll(Datastore ds) {
        float[] row = new float[D];
        for (long r = 0; r < ds.count(); r++) {
            ds.readKeys(r, 1, row);
            ds.value(r);
        }
        for (Datastore.ScoredWindow w : ds.windows()) {
            ds.tokens(w.stream(), w.window().begin(), w.window().end());
        }
    }

    @Test
    void datastoreDirectoriesOpenOrFailNamingTheFile() throws IOException {
        Fuzz.Stats s = Fuzz.of("datastore").run(work, datastore, 20260408L, CASES, Fuzz.files(), dir -> {
            try (Datastore ds = Datastore.open(dir)) {
                ds.verifyChecksums();
                readAll(ds);
            }
        });
        assertTrue(s.rejected() > CASES / 2 && s.parsed() > 50, s.toString());
    }

    @Test
    void knnDirectoriesOpenOrFailNamingTheFile() throws IOException {
        Fuzz.Stats s = Fuzz.of("knn").run(work, knn, 20260409L, CASES, Fuzz.files(), dir -> {
            try (KnnDistributions k = KnnDistributions.open(dir.resolve("knn"));
                 Datastore ds = Datastore.open(dir.resolve("ds"))) {
                k.verifyChecksums();
                k.checkAlignment(ds);
                for (long r = 0; r < k.count(); r++) {
                    k.row(r);
                }
            }
        });
        assertTrue(s.rejected() > CASES / 2 && s.parsed() > 50, s.toString());
    }
}

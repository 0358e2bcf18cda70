package dev.memdec.plugin.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.natives.faiss.FaissIndex;
import dev.memdec.plugin.stop.StoppedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnnBuilderTest {

    static final int D = 16;
    static final int N = 300;

    @TempDir
    Path tmp;

    /** Rows 2i+1 repeat row 2i's key exactly (for i < 40); every value is unique, so a leaked self shows up. */
    static long keySource(long row) {
        return row < 80 && row % 2 == 1 ? row - 1 : row;
    }

    Datastore uniqueValues(String name) throws IOException {
        return TestDatastores.write(tmp.resolve(name), D, IntStream.range(0, N).map(i -> 1000 + i).toArray(),
                KnnBuilderTest::keySource);
    }

    static KnnConfig flat(int k, double temperature) {
        return new KnnConfig(k, temperature, 0, IndexType.FLAT, 32, 1_000_000, ProbType.F16);
    }

    @Test
    void flatDistributionsMatchBruteForceAndExcludeSelf() throws IOException {
        int k = 24;
        double t = 2.0;
        try (Datastore ds = uniqueValues("ds")) {
            KnnManifest m = KnnBuilder.build(ds, tmp.resolve("knn"), flat(k, t), n -> { }, 2000);   // several chunks
            assertEquals(N, m.count());
            assertEquals(k, m.neighbours());
            assertEquals("IDMap,Flat", m.index().factory());
            assertEquals(1000 + N, m.vocabSize());
            float[][] keys = new float[N][D];
            for (int r = 0; r < N; r++) {
                ds.readKeys(r, 1, keys[r]);
            }
            try (KnnDistributions knn = KnnDistributions.open(tmp.resolve("knn"))) {
                knn.verifyChecksums();
                knn.checkAlignment(ds);
                for (int r = 0; r < N; r++) {
                    SparseDistribution row = knn.row(r);
                    assertEquals(ds.value(r), knn.label(r), "label of row " + r);
                    assertEquals(1.0, row.sum(), 1e-3, "row " + r + " sums to 1");
                    for (int j = 0; j < row.size(); j++) {
                        assertTrue(row.tokens()[j] != ds.value(r), "row " + r + " contains its own value");
                        assertTrue(j == 0 || row.probs()[j - 1] >= row.probs()[j], "row " + r + " sorted");
                    }
                    Map<Integer, Double> want = bruteForce(keys, r, k, t);
                    assertEquals(want.size(), row.size(), "row " + r + " token count");
                    for (int j = 0; j < row.size(); j++) {
                        Double p = want.get(row.tokens()[j]);
                        assertTrue(p != null, "row " + r + " token " + row.tokens()[j] + " is not a brute-force neighbour");
                        assertEquals(p, row.probs()[j], 1e-3 * Math.max(p, 1e-2), "row " + r + " token " + row.tokens()[j]);
                    }
                    if (r < 80) {   // the exact duplicate is at distance 0: the nearest, most probable neighbour
                        assertEquals(1000 + (r ^ 1), row.tokens()[0], "row " + r + " top token is its duplicate");
                    }
                }
            }
        }
    }

    /** p_kNN in double over the k nearest other rows (values are 1000 + row). */
    static Map<Integer, Double> bruteForce(float[][] keys, int self, int k, double t) {
        Integer[] order = IntStream.range(0, keys.length).filter(i -> i != self).boxed().toArray(Integer[]::new);
        double[] dist = new double[keys.length];
        for (int i = 0; i < keys.length; i++) {
            double s = 0;
            for (int j = 0; j < D; j++) {
                double diff = keys[i][j] - keys[self][j];
                s += diff * diff;
            }
            dist[i] = s;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(dist[a], dist[b]));
        Map<Integer, Double> p = new HashMap<>();
        double total = 0;
        for (int i = 0; i < k; i++) {
            double w = Math.exp(-(dist[order[i]] - dist[order[0]]) / t);
            p.merge(1000 + order[i], w, Double::sum);
            total += w;
        }
        final double z = total;
        p.replaceAll((token, w) -> w / z);
        return p;
    }

    @Test
    void aStopRequestEndsTheRunBeforeAChunkAndTheRerunGivesTheSameBytes() throws IOException {
        try (Datastore ds = uniqueValues("ds")) {
            KnnConfig config = flat(16, 16);
            KnnBuilder.build(ds, tmp.resolve("straight"), config, n -> { }, 1000);
            long[] rows = {0};
            StoppedException e = assertThrows(StoppedException.class, () -> KnnBuilder.build(ds,
                    tmp.resolve("stopped"), config, n -> rows[0] += n, () -> rows[0] >= 100, 1000));
            assertTrue(rows[0] >= 100 && rows[0] < N, "stopped after " + rows[0] + " rows");
            assertTrue(e.getMessage().startsWith("stopped on request after row " + rows[0] + " of " + N), e.getMessage());
            assertFalse(Files.exists(tmp.resolve("stopped/knn.json")));
            long[] resumedFrom = {-1};
            KnnBuilder.build(ds, tmp.resolve("stopped"), config, n -> {
                if (resumedFrom[0] < 0) {
                    resumedFrom[0] = n;
                }
            }, 1000);
            assertEquals(rows[0], resumedFrom[0], "the rerun resumes where the stop left off");
            for (String f : List.of("knn.json", "index.faiss", "offsets.i64", "tokens.i32", "probs.f16", "labels.i32")) {
                assertArrayEquals(Files.readAllBytes(tmp.resolve("straight").resolve(f)),
                        Files.readAllBytes(tmp.resolve("stopped").resolve(f)), f);
            }
        }
    }

    @Test
    void builtTwiceIsByteIdenticalAndAKilledRunResumesToTheSameBytes() throws IOException {
        try (Datastore ds = uniqueValues("ds")) {
            KnnConfig config = flat(16, 16);
            KnnBuilder.build(ds, tmp.resolve("a"), config, n -> { }, 1000);
            KnnBuilder.build(ds, tmp.resolve("b"), config, n -> { }, 1000);
            int[] calls = {0};
            RuntimeException kill = new RuntimeException("killed");
            assertThrows(RuntimeException.class, () -> KnnBuilder.build(ds, tmp.resolve("c"), config, n -> {
                if (++calls[0] == 4) {
                    throw kill;   // after the third chunk's checkpoint
                }
            }, 1000));
            assertFalse(Files.exists(tmp.resolve("c/knn.json")));
            assertFalse(Files.exists(tmp.resolve("c/tokens.i32")), "no final data file from a killed run");
            long[] resumedFrom = {-1};
            KnnBuilder.build(ds, tmp.resolve("c"), config, n -> {
                if (resumedFrom[0] < 0) {
                    resumedFrom[0] = n;
                }
            }, 1000);
            assertTrue(resumedFrom[0] > 0 && resumedFrom[0] < N, "resumed after row " + resumedFrom[0]);
            for (String f : List.of("knn.json", "index.faiss", "offsets.i64", "tokens.i32", "probs.f16", "labels.i32")) {
                byte[] a = Files.readAllBytes(tmp.resolve("a").resolve(f));
                assertArrayEquals(a, Files.readAllBytes(tmp.resolve("b").resolve(f)), f + " a vs b");
                assertArrayEquals(a, Files.readAllBytes(tmp.resolve("c").resolve(f)), f + " a vs resumed c");
            }
        }
    }

    @Test
    void ivfPqDistributionsAreValid() throws IOException {
        int n = 1200;
        try (Datastore ds = TestDatastores.write(tmp.resolve("ds"), D, IntStream.range(0, n).map(i -> i % 97).toArray(),
                r -> r)) {
            KnnConfig config = new KnnConfig(32, 16, 0, IndexType.IVFPQ, 8, 1000, ProbType.F32);
            KnnManifest m = KnnBuilder.build(ds, tmp.resolve("knn"), config, r -> { });
            assertEquals(IndexType.IVFPQ, m.index().type());
            assertEquals("IVF16,PQ16np", m.index().factory());
            assertEquals(1000, m.index().trainSize());
            try (KnnDistributions knn = KnnDistributions.open(tmp.resolve("knn"))) {
                knn.checkAlignment(ds);
                for (int r = 0; r < n; r++) {
                    assertEquals(1.0, knn.row(r).sum(), 1e-5, "row " + r);
                }
            }
        }
    }

    @Test
    void thresholdDropsSmallTokensAndRenormalises() throws IOException {
        try (Datastore ds = uniqueValues("ds")) {
            KnnConfig config = new KnnConfig(50, 0.5, 0.05, IndexType.FLAT, 1, 10, ProbType.F32);
            KnnBuilder.build(ds, tmp.resolve("knn"), config, r -> { });
            try (KnnDistributions knn = KnnDistributions.open(tmp.resolve("knn"))) {
                for (int r = 0; r < N; r++) {
                    SparseDistribution row = knn.row(r);
                    assertTrue(row.size() >= 1 && row.size() < 50, "row " + r + " kept " + row.size());
                    assertEquals(1.0, row.sum(), 1e-5, "row " + r);
                }
            }
        }
    }

    @Test
    void indexPlanFollowsDatastoreSize() {
        assertEquals(new IndexPlan(IndexType.FLAT, "Flat", 0), IndexPlan.choose(IndexType.AUTO, 99_999, 768, 1_000_000));
        assertEquals(new IndexPlan(IndexType.IVFPQ, "IVF1024,PQ64", 100_000),
                IndexPlan.choose(IndexType.AUTO, 100_000, 768, 1_000_000));
        assertEquals(new IndexPlan(IndexType.IVFPQ, "IVF4096,PQ64", 1_000_000),
                IndexPlan.choose(IndexType.AUTO, 117_000_000, 768, 1_000_000));
        assertEquals("IVF128,PQ50", IndexPlan.choose(IndexType.IVFPQ, 5000, 100, 5000).factory());
        assertThrows(IllegalArgumentException.class, () -> IndexPlan.choose(IndexType.IVFPQ, 100, 16, 100));
        assertArrayEquals(KnnBuilder.trainingRows(1000, 10), KnnBuilder.trainingRows(1000, 10), "seeded");
        assertEquals(10, java.util.Arrays.stream(KnnBuilder.trainingRows(1000, 10)).distinct().count());
    }

    @Test
    void badInputGivesClearErrors() throws IOException {
        try (Datastore ds = uniqueValues("ds"); Datastore other = uniqueValues("other-shape")) {
            KnnBuilder.build(ds, tmp.resolve("knn"), flat(8, 16), r -> { });
            IllegalArgumentException done = assertThrows(IllegalArgumentException.class,
                    () -> KnnBuilder.build(ds, tmp.resolve("knn"), flat(8, 16), r -> { }));
            assertTrue(done.getMessage().contains("already holds"), done.getMessage());

            // a knn manifest from another datastore (same rows, different manifest: different directory name in nothing,
            // so change the datastore's manifest bytes by building one with other values)
            try (Datastore shifted = TestDatastores.write(tmp.resolve("shifted"), D,
                    IntStream.range(0, N).map(i -> 7 + i).toArray(), r -> r);
                 KnnDistributions knn = KnnDistributions.open(tmp.resolve("knn"))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> knn.checkAlignment(shifted));
                assertTrue(e.getMessage().contains("another datastore"), e.getMessage());
                knn.checkAlignment(other);   // identical content: identical manifest hash, identical labels
            }

            // resume with other settings
            Path partial = tmp.resolve("partial");
            assertThrows(RuntimeException.class, () -> KnnBuilder.build(ds, partial, flat(8, 16), r -> {
                if (r > 0) {
                    throw new UncheckedIOException(new IOException("killed"));
                }
            }, 500));
            IllegalArgumentException changed = assertThrows(IllegalArgumentException.class,
                    () -> KnnBuilder.build(ds, partial, flat(8, 4), r -> { }, 500));
            assertTrue(changed.getMessage().contains("temperature"), changed.getMessage());

            // a resumed run whose saved index has another key dimension
            String runId = com.google.gson.JsonParser.parseString(Files.readString(partial.resolve(".progress.json")))
                    .getAsJsonObject().get("id").getAsString();
            try (FaissIndex wrong = FaissIndex.create(D + 1, "Flat")) {
                RetrievalFile.writeIndex(wrong, partial.resolve("index.faiss"), ds.id(), runId);
            }
            IllegalArgumentException dim = assertThrows(IllegalArgumentException.class,
                    () -> KnnBuilder.build(ds, partial, flat(8, 16), r -> { }, 500));
            assertTrue(dim.getMessage().contains("d=" + (D + 1)), dim.getMessage());

            // corrupted output
            Path tokens = tmp.resolve("knn/tokens.i32");
            byte[] bytes = Files.readAllBytes(tokens);
            bytes[RetrievalFile.HEADER_BYTES + 3] ^= 0x10;
            Files.write(tokens, bytes);
            // refused at open (the token id leaves the vocabulary) or by the checksums, naming the file either way
            IOException corrupt = assertThrows(IOException.class, () -> {
                try (KnnDistributions knn = KnnDistributions.open(tmp.resolve("knn"))) {
                    knn.verifyChecksums();
                }
            });
            assertTrue(corrupt.getMessage().contains("tokens.i32"), corrupt.getMessage());

            // a datastore of one entry
            try (Datastore one = TestDatastores.write(tmp.resolve("one"), D, new int[] {5}, r -> r)) {
                assertThrows(IllegalArgumentException.class, () -> KnnBuilder.build(one, tmp.resolve("k1"), flat(8, 16), r -> { }));
            }
            assertThrows(IllegalArgumentException.class, () -> flat(0, 16));
            assertThrows(IllegalArgumentException.class, () -> flat(8, 0));
            assertThrows(IllegalArgumentException.class, () -> new KnnConfig(8, 16, 1.0, IndexType.FLAT, 1, 1, ProbType.F16));
        }
    }
}

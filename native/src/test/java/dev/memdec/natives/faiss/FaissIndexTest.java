package dev.memdec.natives.faiss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaissIndexTest {

    @TempDir
    Path tmp;

    /** Gaussian blobs around random centres: the shape real hidden states have, so IVF-PQ has structure to find. */
    static float[] clustered(int n, int d, int clusters, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] centres = new float[clusters * d];
        for (int i = 0; i < centres.length; i++) {
            centres[i] = (float) r.nextDouble();
        }
        float[] x = new float[n * d];
        for (int i = 0; i < n; i++) {
            int c = r.nextInt(clusters);
            for (int j = 0; j < d; j++) {
                x[i * d + j] = centres[c * d + j] + (float) (0.05 * gaussian(r));
            }
        }
        return x;
    }

    static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    static long[] iota(int n) {
        return IntStream.range(0, n).mapToLong(i -> 1000L + 7L * i).toArray();
    }

    @Test
    void normalizeFactoryAddsNpAndIdMap() {
        assertEquals("IVF1024,PQ16np", FaissIndex.normalizeFactory("IVF1024,PQ16"));
        assertEquals("IVF1024,PQ16x8np", FaissIndex.normalizeFactory("IVF1024,PQ16x8"));
        assertEquals("IVF1024,PQ16np", FaissIndex.normalizeFactory("IVF1024,PQ16np"));
        assertEquals("OPQ16_64,IVF256,PQ16np", FaissIndex.normalizeFactory("OPQ16_64,IVF256,PQ16"));
        assertEquals("IVF256,PQ16x4fs", FaissIndex.normalizeFactory("IVF256,PQ16x4fs"));
        assertEquals("IDMap,Flat", FaissIndex.normalizeFactory("Flat"));
    }

    @Test
    void flatSearchEqualsBruteForce() {
        int n = 500, d = 16, k = 10, q = 20;
        float[] x = clustered(n, d, 8, 1);
        long[] ids = iota(n);
        float[] queries = Arrays.copyOf(clustered(q, d, 8, 2), q * d);
        try (FaissIndex index = FaissIndex.create(d, "Flat")) {
            assertTrue(index.isTrained());
            index.add(Arrays.copyOfRange(x, 0, 200 * d), Arrays.copyOfRange(ids, 0, 200));   // in two chunks
            index.add(Arrays.copyOfRange(x, 200 * d, n * d), Arrays.copyOfRange(ids, 200, n));
            assertEquals(n, index.size());
            assertEquals(d, index.dimension());
            Neighbours got = index.search(queries, q, k);
            for (int qi = 0; qi < q; qi++) {
                final int qq = qi;
                double[] dist = new double[n];
                for (int i = 0; i < n; i++) {
                    double s = 0;
                    for (int j = 0; j < d; j++) {
                        double diff = queries[qq * d + j] - x[i * d + j];
                        s += diff * diff;
                    }
                    dist[i] = s;
                }
                Integer[] order = IntStream.range(0, n).boxed().sorted(Comparator.comparingDouble(i -> dist[i]))
                        .toArray(Integer[]::new);
                for (int r = 0; r < k; r++) {
                    assertEquals(ids[order[r]], got.id(qi, r), "query " + qi + " rank " + r);
                    assertEquals(dist[order[r]], got.distance(qi, r), 1e-4 * Math.max(1, dist[order[r]]),
                            "query " + qi + " rank " + r);
                }
            }
        }
    }

    @Test
    void searchPadsMissingNeighboursWithMinusOne() {
        try (FaissIndex index = FaissIndex.create(4, "Flat")) {
            index.add(new float[] {0, 0, 0, 0, 1, 1, 1, 1}, new long[] {5, 9});
            Neighbours got = index.search(new float[] {0, 0, 0, 0}, 1, 3);
            assertEquals(5, got.id(0, 0));
            assertEquals(9, got.id(0, 1));
            assertEquals(-1, got.id(0, 2));
            assertEquals(4f, got.distance(0, 1));
        }
    }

    @Test
    void ivfPqRecallAgainstFlat() {
        int n = 4000, d = 32, k = 10, q = 100;
        float[] x = clustered(n, d, 64, 3);
        long[] ids = iota(n);
        float[] queries = clustered(q, d, 64, 3);   // same centres: queries sit inside the data's clusters
        try (FaissIndex flat = FaissIndex.create(d, "Flat"); FaissIndex ivf = FaissIndex.create(d, "IVF32,PQ16")) {
            assertEquals("IVF32,PQ16np", ivf.description());
            assertFalse(ivf.isTrained());
            assertThrows(IllegalStateException.class, () -> ivf.add(x, ids));
            ivf.train(x, n);
            assertTrue(ivf.isTrained());
            ivf.add(x, ids);
            flat.add(x, ids);
            ivf.setNprobe(8);
            Neighbours exact = flat.search(queries, q, k);
            Neighbours approx = ivf.search(queries, q, k);
            double recall = recall(exact, approx);
            System.out.printf("IVF32,PQ16np nprobe=8 recall@%d vs flat on %d×%d clustered vectors: %.3f%n", k, n, d, recall);
            assertTrue(recall > 0.5, "recall@10 " + recall + " is below the floor 0.5");
            assertThrows(IllegalArgumentException.class, () -> flat.setNprobe(8));
            assertThrows(IllegalArgumentException.class, () -> ivf.setNprobe(0));
        }
    }

    static double recall(Neighbours exact, Neighbours approx) {
        int hits = 0;
        for (int qi = 0; qi < exact.queries(); qi++) {
            for (int r = 0; r < exact.k(); r++) {
                long want = exact.id(qi, r);
                for (int s = 0; s < approx.k(); s++) {
                    if (approx.id(qi, s) == want) {
                        hits++;
                        break;
                    }
                }
            }
        }
        return hits / (double) (exact.queries() * exact.k());
    }

    @Test
    void writeReadRoundTrip() throws IOException {
        int n = 300, d = 8;
        float[] x = clustered(n, d, 4, 5);
        long[] ids = iota(n);
        Path file = tmp.resolve("sub/index.faiss");
        Neighbours before;
        try (FaissIndex index = FaissIndex.create(d, "Flat")) {
            index.add(x, ids);
            before = index.search(x, 10, 5);
            index.write(file);
        }
        try (var files = Files.list(file.getParent())) {
            assertEquals(1, files.count(), "only the index file remains, no temp file");
        }
        try (FaissIndex read = FaissIndex.read(file)) {
            assertEquals(n, read.size());
            assertEquals(d, read.dimension());
            Neighbours after = read.search(x, 10, 5);
            assertArrayEquals(before.ids(), after.ids());
            assertArrayEquals(before.distances(), after.distances());
        }
    }

    @Test
    void badInputIsAClearJavaException() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FaissIndex.create(16, "NoSuchIndex"));
        assertTrue(e.getMessage().contains("NoSuchIndex"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FaissIndex.create(0, "Flat"));
        Path garbage = Files.writeString(tmp.resolve("garbage.faiss"), "not an index");
        IOException io = assertThrows(IOException.class, () -> FaissIndex.read(garbage));
        assertTrue(io.getMessage().contains("garbage.faiss"), io.getMessage());
        assertThrows(IOException.class, () -> FaissIndex.read(tmp.resolve("missing.faiss")));
        FaissIndex index = FaissIndex.create(4, "Flat");
        assertThrows(IllegalArgumentException.class, () -> index.add(new float[7], new long[2]));
        index.close();
        index.close();   // idempotent
        assertThrows(IllegalStateException.class, index::size);
    }
}

package dev.memdec.plugin.retrieval;

import dev.memdec.natives.faiss.FaissIndex;
import dev.memdec.natives.faiss.Neighbours;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Throughput of the kNN step on a synthetic datastore: flat vs IVF-PQ search (k+1 neighbours, as {@code memdec knn}
 * asks), plus the softmax/aggregation, as entries per second; index size vs datastore size; IVF-PQ recall against
 * flat on the same queries. Not a test: run it by hand.
 *
 * <pre>java -cp ... dev.memdec.plugin.retrieval.KnnBenchmark [entries=100000] [dim=768] [queries=1000] [k=1024] [train=50000]</pre>
 * {@code train=0} measures the flat index only.
 */
public final class KnnBenchmark {

    private KnnBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int d = args.length > 1 ? Integer.parseInt(args[1]) : 768;
        int q = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        int k = args.length > 3 ? Integer.parseInt(args[3]) : 1024;
        int train = args.length > 4 ? Integer.parseInt(args[4]) : 50_000;
        Path dir = Files.createTempDirectory("memdec-knn-bench");
        try {
            run(dir, n, d, q, k, train);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static void run(Path dir, int n, int d, int q, int k, int train) throws IOException {
        System.out.printf(Locale.ROOT, "synthetic datastore: %d entries × d=%d (4096 Gaussian clusters), %d queries, k=%d%n",
                n, d, q, k);
        long t0 = System.nanoTime();
        writeClustered(dir.resolve("ds"), n, d);
        System.out.printf(Locale.ROOT, "datastore written in %.1f s%n", seconds(t0));
        try (Datastore ds = Datastore.open(dir.resolve("ds"))) {
            long dsBytes = Files.size(dir.resolve("ds/keys.f16")) + Files.size(dir.resolve("ds/values.i32"));
            float[] queries = new float[q * d];
            ds.readKeys(0, q, queries);
            int vocab = KnnBuilder.vocabSize(ds);
            Neighbours exact = measure("flat", new IndexPlan(IndexType.FLAT, "Flat", 0), new int[] {0}, ds, dir,
                    dsBytes, queries, q, k, vocab, null);
            if (train > 0) {
                measure("ivfpq", IndexPlan.choose(IndexType.IVFPQ, n, d, train), new int[] {8, 32}, ds, dir, dsBytes,
                        queries, q, k, vocab, exact);
            }
        }
    }

    /** Builds the index once, then searches at each nprobe (0: not an IVF index); returns the last result. */
    private static Neighbours measure(String name, IndexPlan plan, int[] nprobes, Datastore ds, Path dir, long dsBytes,
                                      float[] queries, int q, int k, int vocab, Neighbours exact) throws IOException {
        long t0 = System.nanoTime();
        try (FaissIndex index = KnnBuilder.buildIndex(ds, plan)) {
            double build = seconds(t0);
            Path file = dir.resolve(name + ".faiss");
            index.write(file);
            long indexBytes = Files.size(file);
            Files.delete(file);
            System.out.printf(Locale.ROOT, "%-6s %-16s build (train %d + add %d) %.1f s, index %,d bytes = %.3f × "
                            + "datastore (%,d bytes)%n", name, index.description(), plan.trainSize(), ds.count(), build,
                    indexBytes, indexBytes / (double) dsBytes, dsBytes);
            Neighbours nb = null;
            for (int nprobe : nprobes) {
                if (nprobe > 0) {
                    index.setNprobe(nprobe);
                }
                long t1 = System.nanoTime();
                nb = index.search(queries, q, k + 1);
                double search = seconds(t1);
                long t2 = System.nanoTime();
                NeighbourSoftmax softmax = new NeighbourSoftmax(vocab, k + 1, 16, 0, ProbType.F16);
                for (int i = 0; i < q; i++) {
                    softmax.compute(i, nb, i, k, ds::value);
                }
                double aggregate = seconds(t2);
                String recall = exact == null ? "" : String.format(Locale.ROOT, ", recall vs flat: @%d %.3f, @16 %.3f",
                        k + 1, recall(exact, nb, k + 1), recall(exact, nb, 16));
                System.out.printf(Locale.ROOT, "%-6s nprobe %-3d search %9.1f entries/s | softmax %8.0f entries/s | "
                                + "search+softmax %9.1f entries/s%s%n", name, nprobe, q / search, q / aggregate,
                        q / (search + aggregate), recall);
            }
            return nb;
        }
    }

    /** Fraction of the exact top {@code top} found in the approximate top {@code top}. */
    private static double recall(Neighbours exact, Neighbours approx, int top) {
        long hits = 0;
        for (int i = 0; i < exact.queries(); i++) {
            java.util.Set<Long> want = new java.util.HashSet<>();
            for (int r = 0; r < top; r++) {
                want.add(exact.id(i, r));
            }
            for (int r = 0; r < top; r++) {
                if (want.contains(approx.id(i, r))) {
                    hits++;
                }
            }
        }
        return hits / (double) ((long) exact.queries() * top);
    }

    private static void writeClustered(Path dir, int n, int d) throws IOException {
        DatastoreSpec spec = new DatastoreSpec(new SourceFile("synthetic", 0, "0".repeat(64)), "0".repeat(64),
                KeyType.FFN_INPUT, d, List.of(new SourceFile("synthetic", 0, "0".repeat(64))), 1024, 512);
        SplittableRandom r = new SplittableRandom(1);
        int clusters = 4096;
        float[] centres = new float[clusters * d];
        for (int i = 0; i < centres.length; i++) {
            centres[i] = (float) r.nextDouble();
        }
        try (DatastoreWriter w = DatastoreWriter.open(dir, spec)) {
            int batch = 1024;
            float[] keys = new float[batch * d];
            int[] values = new int[batch];
            for (int first = 0; first < n; first += batch) {
                int m = Math.min(batch, n - first);
                for (int i = 0; i < m; i++) {
                    int c = r.nextInt(clusters);
                    for (int j = 0; j < d; j++) {
                        keys[i * d + j] = centres[c * d + j] + (float) (0.05 * r.nextGaussian());
                    }
                    values[i] = (c * 7 + r.nextInt(5)) % 50_257;   // a cluster predicts a few tokens
                }
                w.append(keys, values, m);
            }
            w.checkpoint(1);
            w.finish();
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}

package dev.memdec.plugin.retrieval;

import dev.memdec.natives.faiss.FaissIndex;
import dev.memdec.natives.faiss.Neighbours;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Recall@k of an approximate (IVF-PQ) index against exact search over the same datastore, on a seeded sample of
 * datastore entries used as queries, each entry excluded from its own neighbours by id exactly as {@code memdec knn}
 * excludes it: {@code k + 1} neighbours are asked of both indexes, the query's own id is dropped, and the first
 * {@code k} that remain are compared. recall = |approximate ∩ exact| / |exact|, summed over the sample.
 * Exact ties (duplicate keys) may order differently in the two searches, so a perfect search of a datastore with
 * duplicates can score just below 1.
 */
public final class KnnRecall {

    /** Seed of the query sample (a different stream from the IVF training sample's). */
    static final long SAMPLE_SEED = 7;

    private KnnRecall() {
    }

    /** One nprobe's result: the recall and the approximate search's wall time over the whole sample. */
    public record Point(int nprobe, double recall, double seconds) {
    }

    /**
     * @param queries      sampled entries
     * @param k            neighbours compared per query
     * @param exactSeconds the exact search's wall time over the sample (index building excluded)
     */
    public record Report(int queries, int k, double exactSeconds, List<Point> points) {
    }

    /**
     * Measures {@code approx} at each of {@code nprobes} (ignored for an index without inverted lists: give 0)
     * against a flat index built here over every key of {@code datastore} (the keys in memory: count × d × 4 bytes).
     *
     * @throws IllegalArgumentException when the sample, k or the index do not fit the datastore
     */
    public static Report measure(Datastore datastore, FaissIndex approx, int queries, int k, int[] nprobes) {
        long count = datastore.count();
        if (queries < 1) {
            throw new IllegalArgumentException("--recall must be >= 1, got " + queries);
        }
        if (k < 1 || k > count - 1) {
            throw new IllegalArgumentException("recall@k needs 1 <= k <= entries - 1 = " + (count - 1) + ", got " + k);
        }
        if (approx.size() != count || approx.dimension() != datastore.dimension()) {
            throw new IllegalArgumentException("the index holds " + approx.size() + " vectors of d=" + approx.dimension()
                    + ", the datastore " + count + " of d=" + datastore.dimension());
        }
        long[] rows = KnnBuilder.trainingRows(count, queries, SAMPLE_SEED);
        int n = rows.length;
        int d = datastore.dimension();
        float[] q = new float[n * d];
        float[] row = new float[d];
        for (int i = 0; i < n; i++) {
            datastore.readKeys(rows[i], 1, row);
            System.arraycopy(row, 0, q, i * d, d);
        }
        Neighbours exact;
        double exactSeconds;
        try (FaissIndex flat = KnnBuilder.buildIndex(datastore, new IndexPlan(IndexType.FLAT, "Flat", 0))) {
            long t0 = System.nanoTime();
            exact = flat.search(q, n, k + 1);
            exactSeconds = (System.nanoTime() - t0) / 1e9;
        }
        List<Point> points = new ArrayList<>();
        for (int nprobe : nprobes) {
            if (nprobe > 0) {
                approx.setNprobe(nprobe);
            }
            long t0 = System.nanoTime();
            Neighbours got = approx.search(q, n, k + 1);
            double seconds = (System.nanoTime() - t0) / 1e9;
            points.add(new Point(nprobe, recall(exact, got, rows, k), seconds));
        }
        return new Report(n, k, exactSeconds, points);
    }

    /**
     * Recall of {@code approx} against {@code exact} (both searched with at least k + 1 neighbours for the queries
     * {@code self}, in order): per query, the first {@code k} ids other than the query's own (and FAISS's −1 padding)
     * of each are compared.
     */
    static double recall(Neighbours exact, Neighbours approx, long[] self, int k) {
        if (exact.queries() != self.length || approx.queries() != self.length) {
            throw new IllegalArgumentException("neighbours of " + exact.queries() + " and " + approx.queries()
                    + " queries for " + self.length + " query rows");
        }
        long hits = 0;
        long wanted = 0;
        for (int i = 0; i < self.length; i++) {
            Set<Long> want = new HashSet<>(top(exact, i, self[i], k));
            wanted += want.size();
            for (long id : top(approx, i, self[i], k)) {
                if (want.contains(id)) {
                    hits++;
                }
            }
        }
        return wanted == 0 ? 1.0 : hits / (double) wanted;
    }

    /** The first {@code k} neighbour ids of {@code query}, without {@code self} and padding. */
    private static List<Long> top(Neighbours nb, int query, long self, int k) {
        List<Long> ids = new ArrayList<>(k);
        for (int r = 0; r < nb.k() && ids.size() < k; r++) {
            long id = nb.id(query, r);
            if (id >= 0 && id != self) {
                ids.add(id);
            }
        }
        return ids;
    }
}

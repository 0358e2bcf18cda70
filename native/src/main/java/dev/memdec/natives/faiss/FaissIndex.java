package dev.memdec.natives.faiss;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;

/**
 * A faiss index over float vectors with L2 metric (distances are squared L2), addressed by explicit 64-bit ids.
 *
 * <p>Vectors are passed row-major: {@code n} rows of {@link #dimension()} floats. One instance must not be used
 * from two threads at once; faiss parallelises inside each call with OpenMP. The native object is freed by
 * {@link #close()}.
 *
 * <p>OpenBLAS is limited to one thread before the first faiss call (faiss's OpenMP threads already use every
 * core; two thread pools on top of each other made IVF training 4× slower here). Set the system property
 * {@code memdec.faiss.blasThreads} to override.
 */
public final class FaissIndex implements AutoCloseable {

    /** A plain product quantizer component ("PQ64", "PQ16x8"); not OPQ, not fast-scan, not already "np". */
    private static final Pattern PQ_WITHOUT_SUFFIX = Pattern.compile("(?<![A-Za-z])(PQ\\d+(?:x\\d+)?)(?=,|$)");

    static {
        Faiss.openblas_set_num_threads(Integer.getInteger("memdec.faiss.blasThreads", 1));
    }

    private final String description;
    private Faiss.Index index;

    private FaissIndex(Faiss.Index index, String description) {
        this.index = index;
        this.description = description;
    }

    /**
     * Creates an empty index from a faiss factory string, e.g. {@code "Flat"} or {@code "IVF4096,PQ64"}.
     * See {@link #normalizeFactory(String)} for the rewriting applied first.
     *
     * @throws IllegalArgumentException when faiss cannot parse the description or d is not positive
     */
    public static FaissIndex create(int dimension, String factory) {
        if (dimension <= 0) {
            throw new IllegalArgumentException("faiss index dimension must be positive, got " + dimension);
        }
        Objects.requireNonNull(factory, "factory");
        String normalized = normalizeFactory(factory);
        Faiss.Index created;
        try {
            created = Faiss.index_factory(dimension, normalized, Faiss.METRIC_L2);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("faiss factory string '" + factory + "' (as '" + normalized
                    + "', d=" + dimension + ") rejected: " + e.getMessage(), e);
        }
        return new FaissIndex(created, normalized);
    }

    /**
     * Rewrites a factory string so that it supports ids and trains in reasonable time:
     * <ul>
     *   <li>every product quantizer {@code PQm} / {@code PQmxb} gets the {@code np} suffix, which turns off
     *   polysemous training (58–77 s instead of 8.6 s for 50k vectors here, dependencies.md §2.6);</li>
     *   <li>a bare {@code Flat} becomes {@code IDMap,Flat} because faiss's flat index cannot store ids.</li>
     * </ul>
     */
    public static String normalizeFactory(String factory) {
        String s = factory.strip();
        Matcher m = PQ_WITHOUT_SUFFIX.matcher(s);
        s = m.replaceAll("$1np");
        if (s.equals("Flat")) {
            s = "IDMap,Flat";
        }
        return s;
    }

    /**
     * Reads an index written by {@link #write(Path)}.
     *
     * @throws IOException when the file is missing or faiss cannot read it
     */
    public static FaissIndex read(Path file) throws IOException {
        return read(file, 0, "read from ");
    }

    /** faiss's {@code IO_FLAG_MMAP} (index_io.h): IVF inverted lists are mapped from the file, not read. */
    private static final int IO_FLAG_MMAP = 8 | 0x646f0000;

    /**
     * Reads an index written by {@link #write(Path)} with its inverted lists memory-mapped read-only (IVF indexes;
     * other indexes are read whole): processes searching one index file share its pages. The file must stay in
     * place, unchanged, while the index is open.
     *
     * @throws IOException when the file is missing or faiss cannot read it
     */
    public static FaissIndex readMapped(Path file) throws IOException {
        return read(file, IO_FLAG_MMAP, "mapped from ");
    }

    private static FaissIndex read(Path file, int ioFlags, String how) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": faiss index file not found");
        }
        try {
            return new FaissIndex(Faiss.read_index(file.toString(), ioFlags), how + file.getFileName());
        } catch (RuntimeException e) {
            throw new IOException(file + ": not a readable faiss index: " + e.getMessage(), e);
        }
    }

    /** The factory string this index was created from (after normalisation), or where it was read from. */
    public String description() {
        return description;
    }

    public int dimension() {
        return live().d();
    }

    /** Number of vectors in the index. */
    public long size() {
        return live().ntotal();
    }

    public boolean isTrained() {
        return live().is_trained();
    }

    /** Trains on {@code n} row-major vectors (a no-op for flat indexes). */
    public void train(float[] vectors, int n) {
        checkRows(vectors, n, "train");
        try (FloatPointer x = new FloatPointer(n * (long) dimension())) {
            x.put(vectors, 0, n * dimension());
            live().train(n, x);
        } catch (RuntimeException e) {
            throw new IllegalStateException("faiss train of " + n + " vectors on '" + description + "' failed: "
                    + e.getMessage(), e);
        }
    }

    /** Adds {@code ids.length} row-major vectors with the given ids; the index must be trained. */
    public void add(float[] vectors, long[] ids) {
        int n = ids.length;
        checkRows(vectors, n, "add");
        if (!isTrained()) {
            throw new IllegalStateException("faiss index '" + description + "' must be trained before add");
        }
        try (FloatPointer x = new FloatPointer(n * (long) dimension()); LongPointer xids = new LongPointer(ids)) {
            x.put(vectors, 0, n * dimension());
            live().add_with_ids(n, x, xids);
        } catch (RuntimeException e) {
            throw new IllegalStateException("faiss add of " + n + " vectors to '" + description + "' failed: "
                    + e.getMessage(), e);
        }
    }

    /**
     * Finds the {@code k} nearest neighbours of {@code n} row-major queries, nearest first. Where fewer than
     * {@code k} vectors are found the row is padded with id -1 and distance {@link Float#MAX_VALUE}
     * (faiss's convention).
     */
    public Neighbours search(float[] queries, int n, int k) {
        checkRows(queries, n, "search");
        if (k <= 0) {
            throw new IllegalArgumentException("faiss search k must be positive, got " + k);
        }
        long cells = (long) n * k;
        if (cells > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("faiss search of " + n + " queries × k=" + k + " is too large for one call");
        }
        try (FloatPointer x = new FloatPointer(n * (long) dimension());
             FloatPointer distances = new FloatPointer(cells);
             LongPointer labels = new LongPointer(cells)) {
            x.put(queries, 0, n * dimension());
            live().search(n, x, k, distances, labels);
            float[] d = new float[(int) cells];
            long[] ids = new long[(int) cells];
            distances.get(d);
            labels.get(ids);
            return new Neighbours(n, k, d, ids);
        } catch (RuntimeException e) {
            throw new IllegalStateException("faiss search on '" + description + "' failed: " + e.getMessage(), e);
        }
    }

    /**
     * Sets how many inverted lists an IVF search visits.
     *
     * @throws IllegalArgumentException when the index has no inverted lists or nprobe is not positive
     */
    public void setNprobe(int nprobe) {
        if (nprobe <= 0) {
            throw new IllegalArgumentException("nprobe must be positive, got " + nprobe);
        }
        try (Faiss.ParameterSpace ps = new Faiss.ParameterSpace()) {
            ps.set_index_parameter(live(), "nprobe", nprobe);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("faiss index '" + description + "' has no nprobe parameter: "
                    + e.getMessage(), e);
        }
    }

    /** Writes the index to a temporary file next to {@code file}, then renames it into place. */
    public void write(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        // faiss creates the file itself (ordinary permissions); the random name keeps concurrent writers apart
        Path tmp = dir.resolve("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            Faiss.write_index(live(), tmp.toString());
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (RuntimeException e) {
            throw new IOException(file + ": faiss could not write the index: " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public void close() {
        if (index != null) {
            Faiss.delete(index);
            index = null;
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "FaissIndex[%s, d=%d, ntotal=%d]", description, dimension(), size());
    }

    private Faiss.Index live() {
        if (index == null) {
            throw new IllegalStateException("faiss index '" + description + "' is closed");
        }
        return index;
    }

    private void checkRows(float[] vectors, int n, String what) {
        if (n < 0) {
            throw new IllegalArgumentException("faiss " + what + ": negative row count " + n);
        }
        long need = (long) n * dimension();
        if (vectors.length < need) {
            throw new IllegalArgumentException("faiss " + what + ": " + n + " rows of d=" + dimension() + " need "
                    + need + " floats, got " + vectors.length);
        }
    }
}

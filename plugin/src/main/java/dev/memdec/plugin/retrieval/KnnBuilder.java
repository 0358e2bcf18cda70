package dev.memdec.plugin.retrieval;

import com.google.gson.JsonObject;
import dev.memdec.converter.io.AtomicFiles;
import dev.memdec.natives.faiss.FaissIndex;
import dev.memdec.natives.faiss.Neighbours;
import dev.memdec.plugin.stop.StoppedException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * Computes the kNN distribution of every datastore entry (reference-spec §4–5) into a directory read by
 * {@link KnnDistributions}. Resumable: the FAISS index is saved first, then rows are written in fixed-size chunks,
 * each followed by a checkpoint; a run started again with the same settings continues after the last chunk, also
 * after a {@linkplain StoppedException stop request} (checked before every chunk).
 * The output is a deterministic function of the datastore and the settings (the training sample is seeded).
 */
public final class KnnBuilder {

    private static final System.Logger LOG = System.getLogger(KnnBuilder.class.getName());
    private static final long TRAIN_SEED = 42;
    /** Keys added to the index per native call: bounds the on-heap staging buffer. */
    private static final int ADD_CHUNK = 16_384;
    /** Search results per chunk (queries × (k+1)): about 50 MB of staging at most. */
    public static final long RESULTS_PER_CHUNK = 1 << 22;

    private static final int OFFSETS = 0;
    private static final int TOKENS = 1;
    private static final int PROBS = 2;
    private static final int LABELS = 3;

    private KnnBuilder() {
    }

    /**
     * Builds (or resumes) the kNN distributions of {@code datastore} in {@code out}.
     *
     * @param progress receives the number of rows completed by each chunk (and the rows already done on resume)
     * @throws IllegalArgumentException when {@code out} holds finished or differently configured results, or
     *                                  the datastore is too small
     */
    public static KnnManifest build(Datastore datastore, Path out, KnnConfig config, LongConsumer progress)
            throws IOException {
        return build(datastore, out, config, progress, () -> false, RESULTS_PER_CHUNK);
    }

    /**
     * As above, stopping with a {@link StoppedException} before the next chunk once {@code stop} is true; the
     * chunks completed so far stay checkpointed and the index is closed.
     */
    public static KnnManifest build(Datastore datastore, Path out, KnnConfig config, LongConsumer progress,
                                    BooleanSupplier stop) throws IOException {
        return build(datastore, out, config, progress, stop, RESULTS_PER_CHUNK);
    }

    /** As the first, with the chunk size given as search results (rows × (k+1)) per chunk; tests use small chunks. */
    static KnnManifest build(Datastore datastore, Path out, KnnConfig config, LongConsumer progress,
                             long resultsPerChunk) throws IOException {
        return build(datastore, out, config, progress, () -> false, resultsPerChunk);
    }

    /** As the one with {@code stop}, with the chunk size of the one with {@code resultsPerChunk}. */
    static KnnManifest build(Datastore datastore, Path out, KnnConfig config, LongConsumer progress,
                             BooleanSupplier stop, long resultsPerChunk) throws IOException {
        return build(datastore, out, config, progress, stop, resultsPerChunk, IN_PROCESS);
    }


    /**
     * What {@link #build} derives from the datastore and the settings before it searches; a function of both, so
     * a Spark executor derives the same.
     *
     * @param searchK   neighbours asked of the index: {@code neighbours} + 1 for the entry itself, excluded by id
     * @param chunkRows rows searched per index call (and per checkpoint)
     * @param nprobe    inverted lists visited (0 for a flat index)
     */
    public record Search(KnnConfig config, long count, int vocab, int neighbours, int searchK, int chunkRows,
                         IndexPlan plan, int nprobe) {

        /** Sets {@link #nprobe} on an index of {@link #plan}. */
        public void configure(FaissIndex index) {
            if (nprobe > 0) {
                index.setNprobe(nprobe);
            }
        }

        /** The distributions of datastore rows {@code [first, first + n)}, searched in a configured index. */
        public SparseDistribution[] rows(Datastore datastore, FaissIndex index, long first, int n) {
            float[] queries = new float[n * datastore.dimension()];
            datastore.readKeys(first, n, queries);
            Neighbours nb = index.search(queries, n, searchK);
            NeighbourSoftmax softmax = new NeighbourSoftmax(vocab, searchK, config.temperature(), config.threshold(),
                    config.probType());
            SparseDistribution[] rows = new SparseDistribution[n];
            for (int i = 0; i < n; i++) {
                rows[i] = softmax.compute(first + i, nb, i, neighbours, datastore::value);
            }
            return rows;
        }
    }

    /** Where the rows of each chunk come from. */
    public interface RowSource extends AutoCloseable {
        /** The distributions of rows {@code [first, first + n)}, {@code n} at most {@link Search#chunkRows()}. */
        SparseDistribution[] rows(long first, int n) throws IOException;

        @Override
        default void close() throws IOException {
        }
    }

    /** Opens the row source once the index is built (or re-read on resume) and saved to {@code indexFile}. */
    public interface RowSources {
        RowSource open(Datastore datastore, Search search, FaissIndex index, Path indexFile) throws IOException;
    }

    /** Searches the index in this process, chunk by chunk. */
    private static final RowSources IN_PROCESS = (datastore, search, index, indexFile) ->
            (first, n) -> search.rows(datastore, index, first, n);

    /**
     * The search settings of {@code datastore} under {@code config}.
     *
     * @throws IllegalArgumentException when the datastore has fewer than 2 entries
     */
    public static Search search(Datastore datastore, KnnConfig config) {
        return search(datastore, config, RESULTS_PER_CHUNK);
    }

    /** As above, with chunks of about {@code resultsPerChunk} search results (rows × (k+1)). */
    public static Search search(Datastore datastore, KnnConfig config, long resultsPerChunk) {
        long count = datastore.count();
        if (count < 2) {
            throw new IllegalArgumentException(datastore.directory() + ": datastore has " + count
                    + " entry; kNN distributions need at least 2 (an entry never neighbours itself)");
        }
        int vocab = vocabSize(datastore);
        int neighbours = (int) Math.min(config.k(), count - 1);
        int searchK = (int) Math.min(neighbours + 1L, count);   // +1 for the entry itself, excluded by id
        int chunkRows = (int) Math.max(1, Math.min(4096, resultsPerChunk / searchK));
        IndexPlan plan = IndexPlan.choose(config.index(), count, datastore.dimension(), config.trainSize());
        int nprobe = plan.type() == IndexType.IVFPQ ? config.nprobe() : 0;
        return new Search(config, count, vocab, neighbours, searchK, chunkRows, plan, nprobe);
    }

    /**
     * As the one with {@code stop} and {@code resultsPerChunk}, with the rows of every chunk taken from
     * {@code rowSources} once the index is built and saved (the Spark job searches on executors and hands the rows
     * back here, to the one writer); null searches in this process.
     */
    public static KnnManifest build(Datastore datastore, Path out, KnnConfig config, LongConsumer progress,
                                    BooleanSupplier stop, long resultsPerChunk, RowSources rowSources)
            throws IOException {
        if (rowSources == null) {
            rowSources = IN_PROCESS;
        }
        long count = datastore.count();
        Search search = search(datastore, config, resultsPerChunk);   // checks count >= 2 first
        if (Files.exists(out.resolve(KnnManifest.FILE))) {
            throw new IllegalArgumentException(out + " already holds finished kNN distributions ("
                    + KnnManifest.FILE + "); choose another --out or delete it");
        }
        int vocab = search.vocab();
        int neighbours = search.neighbours();
        if (neighbours < config.k()) {
            LOG.log(Level.INFO, "datastore has {0} entries: using k={1} instead of {2}", count, neighbours, config.k());
        }
        int chunkRows = search.chunkRows();
        IndexPlan plan = search.plan();
        int nprobe = search.nprobe();

        JsonObject job = RetrievalFile.GSON.toJsonTree(config).getAsJsonObject();
        job.addProperty("datastore", datastore.manifestSha256());
        job.addProperty("factory", plan.factory());
        // the run's id: the datastore and every setting that shapes the output (the chunk size does not)
        String id = RetrievalFile.idOf(datastore.id() + RetrievalFile.GSON.toJson(job));
        job.addProperty("chunkRows", chunkRows);
        List<String> names = List.of(KnnManifest.OFFSETS, KnnManifest.TOKENS, KnnManifest.probsFile(config.probType()),
                KnnManifest.LABELS);
        Path indexFile = out.resolve(KnnManifest.INDEX_FILE);
        try (ResumableOutput output = ResumableOutput.open(out, names, job, datastore.id(), id);
             FaissIndex index = output.resumed() ? readIndex(indexFile, datastore, output.id())
                     : buildIndex(datastore, plan)) {
            if (!output.resumed()) {
                RetrievalFile.writeIndex(index, indexFile, datastore.id(), output.id());
                output.write(OFFSETS, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 0));
                output.checkpoint(0);
            } else {
                LOG.log(Level.INFO, "{0}: resuming after row {1} of {2}", out, output.unitsDone(), count);
            }
            search.configure(index);
            progress.accept(output.unitsDone());
            try (RowSource rows = rowSources.open(datastore, search, index, indexFile)) {
                for (long first = output.unitsDone(); first < count; first += chunkRows) {
                    long done = first;
                    StoppedException.check(stop, () -> "after row " + done + " of " + count + " (" + out + ")");
                    int n = (int) Math.min(chunkRows, count - first);
                    writeChunk(output, datastore, rows.rows(first, n), first, n, config.probType());
                    output.checkpoint(first + n);
                    progress.accept(n);
                }
            }
            List<FileChecksum> sums = output.finish();
            KnnManifest manifest = new KnnManifest(KnnManifest.FORMAT, KnnManifest.VERSION, count, config.k(),
                    neighbours, config.temperature(), config.threshold(), config.probType(), vocab,
                    output.bytes(TOKENS) / 4,
                    new KnnManifest.IndexInfo(plan.type(), FaissIndex.normalizeFactory(plan.factory()), nprobe,
                            plan.trainSize(), KnnManifest.INDEX_FILE, Files.size(indexFile), AtomicFiles.sha256(indexFile)),
                    new KnnManifest.DatastoreRef(datastore.manifestSha256(), count, datastore.dimension(),
                            KnnManifest.DatastoreRef.pathFrom(out, datastore.directory()), datastore.id()), sums,
                    output.id());
            AtomicFiles.write(out.resolve(KnnManifest.FILE), RetrievalFile.GSON.toJson(manifest).getBytes(StandardCharsets.UTF_8));
            output.complete();
            return manifest;
        }
    }

    private static void writeChunk(ResumableOutput output, Datastore ds, SparseDistribution[] rows, long first, int n,
                                   ProbType probType) throws IOException {
        if (rows.length != n) {
            throw new IllegalStateException("chunk at row " + first + ": got " + rows.length + " rows, expected " + n);
        }
        int pairs = 0;
        for (int i = 0; i < n; i++) {
            pairs += rows[i].size();
        }
        ByteBuffer offsets = ByteBuffer.allocate(8 * n).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer tokens = ByteBuffer.allocate(4 * pairs).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer probs = ByteBuffer.allocate(probType.bytes() * pairs).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer labels = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        long end = output.bytes(TOKENS) / 4;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < rows[i].size(); j++) {
                tokens.putInt(rows[i].tokens()[j]);
                float p = rows[i].probs()[j];
                if (probType == ProbType.F16) {
                    probs.putShort(Float.floatToFloat16(p));
                } else {
                    probs.putFloat(p);
                }
            }
            end += rows[i].size();
            offsets.putLong(end);
            labels.putInt(ds.value(first + i));
        }
        output.write(OFFSETS, offsets.flip());
        output.write(TOKENS, tokens.flip());
        output.write(PROBS, probs.flip());
        output.write(LABELS, labels.flip());
    }

    /** Largest value + 1, after checking no value is negative. */
    static int vocabSize(Datastore ds) {
        int max = -1;
        for (long r = 0; r < ds.count(); r++) {
            int v = ds.value(r);
            if (v < 0) {
                throw new IllegalArgumentException(ds.directory().resolve(DatastoreManifest.VALUES_FILE) + ": entry " + r + " has negative token id " + v);
            }
            max = Math.max(max, v);
        }
        return max + 1;
    }

    private static FaissIndex readIndex(Path file, Datastore ds, String runId) throws IOException {
        FaissIndex index = RetrievalFile.readIndex(file, ds.id(), runId, ResumableOutput.PROGRESS_FILE + " field 'id'",
                "delete " + file.getParent() + " to start over");
        if (index.dimension() != ds.dimension() || index.size() != ds.count()) {
            String got = "d=" + index.dimension() + ", " + index.size() + " vectors";
            index.close();
            throw new IllegalArgumentException(file + ": index has " + got + ", the datastore has d=" + ds.dimension()
                    + " and " + ds.count() + " entries; delete " + file.getParent() + " to start over");
        }
        return index;
    }

    /** Builds the index of {@code plan} over every key, with datastore row numbers as ids. */
    public static FaissIndex buildIndex(Datastore ds, IndexPlan plan) {
        int d = ds.dimension();
        FaissIndex index = FaissIndex.create(d, plan.factory());
        try {
            if (!index.isTrained()) {
                long[] rows = trainingRows(ds.count(), plan.trainSize());
                float[] sample = new float[rows.length * d];
                float[] row = new float[d];
                for (int i = 0; i < rows.length; i++) {
                    ds.readKeys(rows[i], 1, row);
                    System.arraycopy(row, 0, sample, i * d, d);
                }
                LOG.log(Level.INFO, "training {0} on {1} keys", plan.factory(), rows.length);
                index.train(sample, rows.length);
            }
            float[] keys = new float[ADD_CHUNK * d];
            for (long first = 0; first < ds.count(); first += ADD_CHUNK) {
                int n = (int) Math.min(ADD_CHUNK, ds.count() - first);
                ds.readKeys(first, n, keys);
                long[] ids = new long[n];
                for (int i = 0; i < n; i++) {
                    ids[i] = first + i;
                }
                index.add(keys, ids);   // uses the first n rows
            }
            return index;
        } catch (RuntimeException e) {
            index.close();
            throw e;
        }
    }

    /** A seeded uniform sample without replacement (Floyd's algorithm), in ascending row order. */
    static long[] trainingRows(long count, int size) {
        return trainingRows(count, size, TRAIN_SEED);
    }

    /** As above, with another seed (the recall sample's). */
    static long[] trainingRows(long count, int size, long seed) {
        if (size >= count) {
            long[] all = new long[(int) count];
            Arrays.setAll(all, i -> i);
            return all;
        }
        SplittableRandom random = new SplittableRandom(seed);
        Set<Long> chosen = new HashSet<>(size * 2);
        for (long j = count - size; j < count; j++) {
            long t = random.nextLong(j + 1);
            chosen.add(chosen.contains(t) ? j : t);
        }
        return chosen.stream().mapToLong(Long::longValue).sorted().toArray();
    }
}

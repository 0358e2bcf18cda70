package dev.memdec.trainer.spark;

import dev.memdec.natives.faiss.FaissIndex;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.plugin.retrieval.Datastore;
import dev.memdec.plugin.retrieval.DatastoreBuilder;
import dev.memdec.plugin.retrieval.DatastoreManifest;
import dev.memdec.plugin.retrieval.DatastoreSpec;
import dev.memdec.plugin.retrieval.DatastoreWriter;
import dev.memdec.plugin.retrieval.KeyType;
import dev.memdec.plugin.retrieval.SourceFile;
import dev.memdec.plugin.retrieval.IndexType;
import dev.memdec.plugin.retrieval.KnnBuilder;
import dev.memdec.plugin.retrieval.KnnConfig;
import dev.memdec.plugin.retrieval.KnnManifest;
import dev.memdec.plugin.retrieval.ProbType;
import dev.memdec.plugin.retrieval.SparseDistribution;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * The only class of this module that calls into the trainer's datastore and kNN code: the Spark stages build,
 * check and merge through the same builder and writer classes the single-machine commands use, so the output
 * formats have one home. Everything handed to Spark tasks is a plain serializable record defined here.
 */
final class Retrieval {

    private static final int MERGE_ROWS = 4096;

    private Retrieval() {
    }

    // ---------------------------------------------------------------------------------------------- datastore

    /** A datastore build as Spark tasks see it: paths as strings, every setting by value. */
    record DatastoreJob(String host, List<String> corpus, int ctx, int stride, String keyType, int threads,
                        int groupLines) implements Serializable {

        DatastoreJob {
            corpus = List.copyOf(corpus);
        }

        static DatastoreJob of(Path host, List<Path> corpus, DatastoreBuilder.Options o) {
            return new DatastoreJob(host.toAbsolutePath().toString(),
                    corpus.stream().map(c -> c.toAbsolutePath().toString()).toList(), o.ctx(), o.stride(),
                    o.keyType().cliName(), o.threads(), o.groupLines());
        }

        DatastoreBuilder.Options options() {
            return new DatastoreBuilder.Options(ctx, stride, KeyType.fromCliName(keyType), threads, groupLines);
        }
    }

    /** Runs the single-machine builder over corpus file {@code shard} alone, on an already loaded host. */
    static void buildShard(LlamaModel model, DatastoreJob job, int shard, Path dir, Runnable afterWindow)
            throws IOException {
        DatastoreBuilder.build(model, Path.of(job.host()), List.of(Path.of(job.corpus().get(shard))), dir,
                job.options(), new DatastoreBuilder.Progress() {
                    @Override
                    public void start(long totalEntries, long entriesDone) {
                    }

                    @Override
                    public void step(long entries) {
                        afterWindow.run();
                    }
                }, () -> false);
    }

    /**
     * Checks every finished shard against this run's inputs as the driver sees them (host and corpus file by
     * content, tokenizer, key and window settings), so shards built from another host, tokenizer or corpus file
     * (another run, or an executor that sees another file at the same path) are never merged.
     *
     * @throws IllegalArgumentException naming the first shard that differs and how
     */
    static void checkShards(DatastoreJob job, List<Path> shardDirs) throws IOException {
        SourceFile host = SourceFile.of(Path.of(job.host()));
        DatastoreSpec first = null;
        for (int i = 0; i < shardDirs.size(); i++) {
            Path dir = shardDirs.get(i);
            DatastoreSpec s;
            try (Datastore ds = Datastore.open(dir)) {
                s = ds.manifest().spec();
            }
            String where = dir + " (corpus shard " + i + ")";
            if (!s.host().sha256().equals(host.sha256())) {
                throw new IllegalArgumentException(where + ": built from host " + s.host().path() + " (SHA-256 "
                        + s.host().sha256() + "), but --host " + job.host() + " has SHA-256 " + host.sha256()
                        + "; every executor must see the same host file; delete " + dir + " to rebuild it");
            }
            SourceFile corpus = SourceFile.of(Path.of(job.corpus().get(i)));
            if (s.corpus().size() != 1 || !s.corpus().get(0).equals(corpus)) {
                throw new IllegalArgumentException(where + ": built from corpus " + s.corpus() + ", but --corpus "
                        + job.corpus().get(i) + " is " + corpus + "; delete " + dir + " to rebuild it");
            }
            if (first != null && !s.tokenizerSha256().equals(first.tokenizerSha256())) {
                throw new IllegalArgumentException(where + ": tokenizer SHA-256 " + s.tokenizerSha256()
                        + " differs from shard 0's " + first.tokenizerSha256() + "; delete " + dir + " to rebuild it");
            }
            if (s.keyType() != KeyType.fromCliName(job.keyType()) || s.windowCtx() != job.ctx()
                    || s.windowStride() != job.stride() || s.groupLines() != job.groupLines()
                    || first != null && s.dimension() != first.dimension()) {
                throw new IllegalArgumentException(where + ": built with --key " + s.keyType() + " --ctx "
                        + s.windowCtx() + " --stride " + s.windowStride() + " --group-lines " + s.groupLines()
                        + " (d=" + s.dimension() + "), this run asks for --key " + job.keyType() + " --ctx " + job.ctx()
                        + " --stride " + job.stride() + " --group-lines " + job.groupLines() + "; delete " + dir
                        + " to rebuild it");
            }
            if (first == null) {
                first = s;
            }
        }
    }

    /**
     * Concatenates the checked shards, in corpus order, into one datastore in {@code out} through the
     * single-machine {@link DatastoreWriter}; resumable per shard. The result is what the single-machine builder
     * writes for the whole corpus: each file is its own token stream(s), its windows and entries in order.
     */
    static DatastoreManifest merge(List<Path> shardDirs, Path out, BooleanSupplier stop) throws IOException {
        List<Datastore> shards = new ArrayList<>();
        try {
            for (Path dir : shardDirs) {
                shards.add(Datastore.open(dir));
            }
            DatastoreSpec s0 = shards.get(0).manifest().spec();
            List<SourceFile> corpus = new ArrayList<>();
            List<int[]> streams = new ArrayList<>();
            for (Datastore ds : shards) {
                corpus.addAll(ds.manifest().spec().corpus());
                List<Integer> lengths = ds.manifest().streamLengths();
                for (int st = 0; st < lengths.size(); st++) {
                    streams.add(ds.tokens(st, 0, lengths.get(st)));
                }
            }
            DatastoreSpec spec = new DatastoreSpec(s0.host(), s0.tokenizerSha256(), s0.keyType(), s0.dimension(),
                    corpus, s0.windowCtx(), s0.windowStride(), s0.groupLines());
            try (DatastoreWriter writer = DatastoreWriter.open(out, spec)) {
                writer.tokenStreams(streams);
                streams.clear();
                float[] keys = new float[MERGE_ROWS * spec.dimension()];
                int[] values = new int[MERGE_ROWS];
                for (int i = (int) writer.unitsDone(); i < shards.size(); i++) {
                    if (stop.getAsBoolean()) {
                        throw new dev.memdec.plugin.stop.StoppedException("after merging " + i + " of "
                                + shards.size() + " shards into " + out);
                    }
                    Datastore ds = shards.get(i);
                    for (long first = 0; first < ds.count(); first += MERGE_ROWS) {
                        int n = (int) Math.min(MERGE_ROWS, ds.count() - first);
                        ds.readKeys(first, n, keys);
                        for (int r = 0; r < n; r++) {
                            values[r] = ds.value(first + r);
                        }
                        writer.append(keys, values, n);
                    }
                    writer.checkpoint(i + 1);
                }
                return writer.finish();
            }
        } finally {
            for (Datastore ds : shards) {
                ds.close();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------- kNN

    /** kNN settings as Spark tasks see them. */
    record KnnJob(String datastore, int k, double temperature, double threshold, String index, int nprobe,
                  int trainSize, String probType, long resultsPerChunk) implements Serializable {

        /** The single-machine command's chunking. */
        static KnnJob of(Path datastore, KnnConfig c) {
            return of(datastore, c, KnnBuilder.RESULTS_PER_CHUNK);
        }

        /** Chunks of about {@code resultsPerChunk} search results (tests use small ones). */
        static KnnJob of(Path datastore, KnnConfig c, long resultsPerChunk) {
            return new KnnJob(datastore.toAbsolutePath().toString(), c.k(), c.temperature(), c.threshold(),
                    c.index().cliName(), c.nprobe(), c.trainSize(), c.probType().cliName(), resultsPerChunk);
        }

        KnnConfig config() {
            return new KnnConfig(k, temperature, threshold, IndexType.fromCliName(index), nprobe, trainSize,
                    ProbType.fromCliName(probType));
        }
    }

    /** What the driver tells the search tasks once the index is saved. */
    record SearchPlan(long count, int chunkRows, String indexFile, String indexSha256, String datastoreSha256)
            implements Serializable {
    }

    /** Receives the searched rows of one task, in row order. */
    interface RowSink {
        void row(int[] tokens, float[] probs) throws IOException;
    }

    /** Hands the rows of each chunk to the single-machine writer. */
    interface RowReader extends AutoCloseable {
        /** Reads the next row's tokens and probabilities into a pair. */
        Row next(long row) throws IOException;

        @Override
        void close() throws IOException;
    }

    record Row(int[] tokens, float[] probs) {
    }

    /** Opens the row reader once the driver has built and saved the index; {@code plan} describes it. */
    interface RowReaders {
        RowReader open(SearchPlan plan) throws IOException;
    }

    /**
     * Runs the single-machine kNN build (index trained and filled here, then the one writer), with the rows
     * coming from {@code rows}, which runs the distributed search once the index is saved.
     */
    static KnnManifest knn(KnnJob job, Path out, RowReaders rows, BooleanSupplier stop) throws IOException {
        try (Datastore ds = Datastore.open(Path.of(job.datastore()))) {
            return KnnBuilder.build(ds, out, job.config(), n -> { }, stop, job.resultsPerChunk(),
                    (datastore, search, index, indexFile) -> {
                RowReader reader = rows.open(new SearchPlan(search.count(), search.chunkRows(),
                        indexFile.toAbsolutePath().toString(),
                        dev.memdec.converter.io.AtomicFiles.sha256(indexFile), datastore.manifestSha256()));
                return new KnnBuilder.RowSource() {
                    @Override
                    public SparseDistribution[] rows(long first, int n) throws IOException {
                        SparseDistribution[] out = new SparseDistribution[n];
                        for (int i = 0; i < n; i++) {
                            Row r = reader.next(first + i);
                            out[i] = new SparseDistribution(r.tokens(), r.probs());
                        }
                        return out;
                    }

                    @Override
                    public void close() throws IOException {
                        reader.close();
                    }
                };
            });
        }
    }

    /**
     * Searches rows {@code [first, end)} (whole chunks of {@code plan}) with the saved index memory-mapped, as the
     * single-machine build searches them, and hands every row to {@code sink}; {@code afterChunk} runs after each.
     *
     * @throws IllegalStateException when this executor derives another search plan or sees another datastore or
     *                               index than the driver
     */
    static void searchRows(KnnJob job, SearchPlan plan, long first, long end, RowSink sink, Runnable afterChunk)
            throws IOException {
        try (Datastore ds = Datastore.open(Path.of(job.datastore()));
             FaissIndex index = FaissIndex.readMapped(Path.of(plan.indexFile()))) {
            if (!ds.manifestSha256().equals(plan.datastoreSha256())) {
                throw new IllegalStateException(job.datastore() + ": this executor sees a datastore with manifest "
                        + "SHA-256 " + ds.manifestSha256() + ", the driver " + plan.datastoreSha256()
                        + "; every executor must see the same datastore");
            }
            if (index.size() != ds.count() || index.dimension() != ds.dimension()) {
                throw new IllegalStateException(plan.indexFile() + ": index of " + index.size() + " vectors (d="
                        + index.dimension() + "), the datastore has " + ds.count() + " (d=" + ds.dimension() + ")");
            }
            KnnBuilder.Search search = KnnBuilder.search(ds, job.config(), job.resultsPerChunk());
            if (search.chunkRows() != plan.chunkRows() || search.count() != plan.count()) {
                throw new IllegalStateException("executor search plan (" + search.count() + " rows, chunks of "
                        + search.chunkRows() + ") differs from the driver's (" + plan.count() + ", "
                        + plan.chunkRows() + ")");
            }
            search.configure(index);
            for (long c = first; c < end; c += search.chunkRows()) {
                int n = (int) Math.min(search.chunkRows(), end - c);
                for (SparseDistribution d : search.rows(ds, index, c, n)) {
                    sink.row(d.tokens(), d.probs());
                }
                afterChunk.run();
            }
        }
    }

    /** SHA-256 of a file (the one helper the datastore code uses). */
    static String sha256(Path file) throws IOException {
        return dev.memdec.converter.io.AtomicFiles.sha256(file);
    }

    /** Writes bytes to a temporary sibling, forces them, then renames into place (the trainer's one home for it). */
    static void writeAtomically(Path file, byte[] bytes) throws IOException {
        dev.memdec.converter.io.AtomicFiles.write(file, bytes);
    }

    /** A fresh temporary sibling name for {@code file}. */
    static Path temporarySibling(Path file) {
        return dev.memdec.converter.io.AtomicFiles.temporarySibling(Objects.requireNonNull(file));
    }

    /** Whether {@code dir} holds a finished datastore (its manifest is the completion marker). */
    static boolean isFinishedDatastore(Path dir) {
        return java.nio.file.Files.isRegularFile(dir.resolve(DatastoreManifest.FILE));
    }

    /** Whether {@code dir} holds finished kNN distributions. */
    static boolean isFinishedKnn(Path dir) {
        return java.nio.file.Files.isRegularFile(dir.resolve(KnnManifest.FILE));
    }
}

package dev.memdec.trainer.spark;

import dev.memdec.plugin.retrieval.KnnManifest;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.Serializable;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * {@code memdec knn --spark}: the driver runs the single-machine build, which trains and fills the index and saves
 * it; the queries are then cut into ranges of whole search chunks, and one Spark task per range memory-maps the
 * saved index, searches its rows exactly as the single-machine build would, and writes them to
 * {@code OUT/.spark-rows/rows-FIRST-END} (attempts write {@code ….attempt-ID} and are renamed when complete). The
 * single-machine writer then takes the rows from those files in order, so the output is the same file for file; a
 * rerun after a driver kill searches only the missing ranges. The work directory is removed when finished.
 */
final class KnnStage {

    static final String WORK = ".spark-rows";
    private static final int MAGIC = 0x4d444b52;   // "MDKR"
    private static final int END = 0x454e4421;     // "END!"

    private KnnStage() {
    }

    /** A range of query rows {@code [first, end)} searched by one task. */
    record Range(int index, long first, long end) implements Serializable {
        String fileName() {
            return String.format(Locale.ROOT, "rows-%012d-%012d", first, end);
        }
    }

    static KnnManifest run(String master, Retrieval.KnnJob job, Path out, int rowsPerTask, TaskHook hook,
                           BooleanSupplier stop) throws IOException {
        if (Retrieval.isFinishedKnn(out)) {
            throw new IllegalArgumentException(out + " already holds finished kNN distributions; choose another --out "
                    + "or delete it");
        }
        Path work = out.toAbsolutePath().resolve(WORK);
        try (JavaSparkContext sc = Spark.context(master)) {
            KnnManifest m = Retrieval.knn(job, out, plan -> {
                List<Range> ranges = ranges(plan, rowsPerTask);
                String key = identity(job, plan);
                List<Range> missing = new ArrayList<>();
                for (Range r : ranges) {
                    Path done = work.resolve(r.fileName());
                    if (Files.exists(done)) {
                        checkHeader(done, key, r);   // a stale part of another datastore, index or settings fails
                    } else {
                        missing.add(r);
                    }
                }
                if (missing.size() < ranges.size()) {
                    System.err.printf(Locale.ROOT, "knn: %d of %d query ranges already searched in %s, searching the "
                            + "other %d%n", ranges.size() - missing.size(), ranges.size(), work, missing.size());
                }
                if (!missing.isEmpty()) {
                    Files.createDirectories(work);
                    String workDir = work.toString();
                    try {
                        sc.parallelize(missing, missing.size()).foreach(r -> search(job, plan, key, workDir, r, hook));
                    } catch (Exception e) {   // SparkException is checked, thrown undeclared from Scala
                        throw Spark.jobFailed("knn", e);
                    }
                }
                return new Parts(work, ranges, key);
            }, stop);
            WorkDirs.deleteTree(work);
            return m;
        }
    }

    /** Ranges of whole chunks, about {@code rowsPerTask} rows each: a function of the plan alone, for resuming. */
    static List<Range> ranges(Retrieval.SearchPlan plan, int rowsPerTask) {
        long chunks = Math.max(1, (rowsPerTask + (long) plan.chunkRows() - 1) / plan.chunkRows());
        long step = chunks * plan.chunkRows();
        List<Range> ranges = new ArrayList<>();
        for (long first = 0; first < plan.count(); first += step) {
            ranges.add(new Range(ranges.size(), first, Math.min(plan.count(), first + step)));
        }
        return ranges;
    }

    /** What a part's rows depend on: the datastore, the saved index and the settings. */
    private static String identity(Retrieval.KnnJob job, Retrieval.SearchPlan plan) {
        return "datastore " + plan.datastoreSha256() + ", index " + plan.indexSha256() + ", " + job.config();
    }

    /** One task: searches its range into its attempt file, renamed to the range's name once complete. */
    private static void search(Retrieval.KnnJob job, Retrieval.SearchPlan plan, String key, String workDir, Range r,
                               TaskHook hook) throws IOException {
        Path done = Path.of(workDir).resolve(r.fileName());
        if (Files.exists(done)) {
            return;
        }
        TaskContext task = TaskContext.get();
        int attemptNumber = task == null ? 0 : task.attemptNumber();
        Path attempt = WorkDirs.attempt(done, task == null ? System.nanoTime() : task.taskAttemptId());
        try (DataOutputStream o = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(attempt), 1 << 16))) {
            o.writeInt(MAGIC);
            o.writeUTF(key);
            o.writeLong(r.first());
            o.writeLong(r.end());
            long[] chunks = {0};
            Retrieval.searchRows(job, plan, r.first(), r.end(), (tokens, probs) -> {
                o.writeInt(tokens.length);
                for (int t : tokens) {
                    o.writeInt(t);
                }
                for (float p : probs) {
                    o.writeFloat(p);
                }
            }, () -> hook.afterUnit(r.index(), attemptNumber, ++chunks[0]));
            o.writeInt(END);
        }
        try (FileChannel ch = FileChannel.open(attempt, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        WorkDirs.publish(attempt, done);
    }

    private static DataInputStream openPart(Path file, String key, Range r) throws IOException {
        DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
        try {
            if (in.readInt() != MAGIC) {
                throw new IllegalArgumentException(file + ": not a memdec kNN rows file; delete it");
            }
            String was = in.readUTF();
            long first = in.readLong();
            long end = in.readLong();
            if (!was.equals(key) || first != r.first() || end != r.end()) {
                throw new IllegalArgumentException(file + ": rows " + first + ".." + end + " searched for " + was
                        + ", this run needs rows " + r.first() + ".." + r.end() + " for " + key
                        + "; delete " + file.getParent() + " to search again");
            }
            return in;
        } catch (EOFException e) {
            in.close();
            throw new IOException(file + ": truncated header; delete it", e);
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    private static void checkHeader(Path file, String key, Range r) throws IOException {
        openPart(file, key, r).close();
    }

    /** The rows of all ranges, in order, for the single-machine writer. */
    private static final class Parts implements Retrieval.RowReader {
        private final Path work;
        private final List<Range> ranges;
        private final String key;
        private DataInputStream in;
        private Range current;
        private long next;

        Parts(Path work, List<Range> ranges, String key) {
            this.work = work;
            this.ranges = ranges;
            this.key = key;
        }

        @Override
        public Retrieval.Row next(long row) throws IOException {
            if (current == null || row < next || row >= current.end()) {
                close();
                current = ranges.stream().filter(r -> r.first() <= row && row < r.end()).findFirst()
                        .orElseThrow(() -> new IllegalStateException("row " + row + " lies in no searched range"));
                in = openPart(work.resolve(current.fileName()), key, current);
                next = current.first();
            }
            Path file = work.resolve(current.fileName());
            try {
                while (true) {
                    int n = in.readInt();
                    if (n < 0) {
                        throw new IOException(file + ": row " + next + " has " + n + " entries");
                    }
                    int[] tokens = new int[n];
                    float[] probs = new float[n];
                    for (int i = 0; i < n; i++) {
                        tokens[i] = in.readInt();
                    }
                    for (int i = 0; i < n; i++) {
                        probs[i] = in.readFloat();
                    }
                    if (next++ == row) {
                        if (next == current.end() && in.readInt() != END) {
                            throw new IOException(file + ": no end marker after row " + row);
                        }
                        return new Retrieval.Row(tokens, probs);
                    }
                }
            } catch (EOFException e) {
                throw new IOException(file + ": ends before row " + next + " of [" + current.first() + ", "
                        + current.end() + ")", e);
            }
        }

        @Override
        public void close() throws IOException {
            if (in != null) {
                in.close();
                in = null;
            }
        }
    }
}

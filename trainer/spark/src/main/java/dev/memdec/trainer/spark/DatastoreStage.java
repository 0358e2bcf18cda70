package dev.memdec.trainer.spark;

import dev.memdec.plugin.retrieval.DatastoreManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * {@code memdec datastore --spark}: corpus file i becomes shard i, built by one Spark task with the
 * single-machine builder on the host its executor loaded once; the driver checks every shard against its own view
 * of the inputs and concatenates them through the single-machine writer. Finished shards live in
 * {@code OUT/.spark-shards/shard-NNNNN} (a shard's {@code datastore.json} marks it finished; attempts build under
 * {@code shard-NNNNN.attempt-ID} and are renamed when done), so a rerun after a driver kill builds only the
 * missing shards; the work directory is removed once the datastore is finished.
 */
final class DatastoreStage {

    static final String WORK = ".spark-shards";

    private DatastoreStage() {
    }

    static DatastoreManifest run(String master, Retrieval.DatastoreJob job, Path out, TaskHook hook,
                                 BooleanSupplier stop) throws IOException {
        if (Retrieval.isFinishedDatastore(out)) {
            throw new IllegalArgumentException(out + " already holds a finished datastore; choose another output "
                    + "directory or delete it");
        }
        if (job.corpus().isEmpty()) {
            throw new IllegalArgumentException("--corpus: no corpus files given");
        }
        for (String c : job.corpus()) {
            if (!Files.isRegularFile(Path.of(c))) {
                throw new IllegalArgumentException("--corpus " + c + ": no such file");
            }
        }
        if (!Files.isRegularFile(Path.of(job.host()))) {
            throw new IllegalArgumentException("--host " + job.host() + ": no such file");
        }
        Path work = out.toAbsolutePath().resolve(WORK);
        List<Path> shards = IntStream.range(0, job.corpus().size()).mapToObj(i -> shardDir(work, i)).toList();
        try (JavaSparkContext sc = Spark.context(master)) {
            List<Path> finished = new ArrayList<>();
            List<Integer> missing = new ArrayList<>();
            for (int i = 0; i < shards.size(); i++) {
                boolean done = Retrieval.isFinishedDatastore(shards.get(i));
                finished.add(done ? shards.get(i) : null);
                if (!done) {
                    missing.add(i);
                }
            }
            checkFinished(job, finished);   // stale shards of another host or corpus fail before any work
            if (missing.size() < shards.size()) {
                System.err.printf(java.util.Locale.ROOT, "datastore: %d of %d corpus shards already built in %s, "
                        + "building the other %d%n", shards.size() - missing.size(), shards.size(), work, missing.size());
            }
            if (!missing.isEmpty()) {
                Files.createDirectories(work);
                String workDir = work.toString();
                try {
                    sc.parallelize(missing, missing.size()).foreach(i -> buildShard(job, workDir, i, hook));
                } catch (Exception e) {   // SparkException is checked, thrown undeclared from Scala
                    throw Spark.jobFailed("datastore", e);
                }
            }
            checkFinished(job, shards);
            DatastoreManifest m = Retrieval.merge(shards, out, stop);
            WorkDirs.deleteTree(work);
            return m;
        }
    }

    private static void checkFinished(Retrieval.DatastoreJob job, List<Path> shards) throws IOException {
        List<Path> present = new ArrayList<>();
        List<String> corpus = new ArrayList<>();
        for (int i = 0; i < shards.size(); i++) {
            if (shards.get(i) != null) {
                present.add(shards.get(i));
                corpus.add(job.corpus().get(i));
            }
        }
        if (!present.isEmpty()) {
            Retrieval.checkShards(new Retrieval.DatastoreJob(job.host(), corpus, job.ctx(), job.stride(),
                    job.keyType(), job.threads(), job.groupLines()), present);
        }
    }

    static Path shardDir(Path work, int shard) {
        return work.resolve(String.format(java.util.Locale.ROOT, "shard-%05d", shard));
    }

    /** One task: corpus file {@code shard} into its attempt directory, renamed to the shard's name when done. */
    private static void buildShard(Retrieval.DatastoreJob job, String workDir, int shard, TaskHook hook)
            throws IOException {
        Path done = shardDir(Path.of(workDir), shard);
        if (Retrieval.isFinishedDatastore(done)) {
            return;
        }
        TaskContext task = TaskContext.get();
        int attemptNumber = task == null ? 0 : task.attemptNumber();
        Path attempt = WorkDirs.attempt(done, task == null ? System.nanoTime() : task.taskAttemptId());
        WorkDirs.deleteTree(attempt);
        long[] windows = {0};
        Retrieval.buildShard(HostModels.get(job.host()), job, shard, attempt,
                () -> hook.afterUnit(shard, attemptNumber, ++windows[0]));
        WorkDirs.publish(attempt, done);
    }
}

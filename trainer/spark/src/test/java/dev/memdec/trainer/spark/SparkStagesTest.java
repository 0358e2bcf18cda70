package dev.memdec.trainer.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.plugin.retrieval.Datastore;
import dev.memdec.plugin.retrieval.DatastoreBuilder;
import dev.memdec.plugin.retrieval.KeyType;
import dev.memdec.plugin.retrieval.IndexType;
import dev.memdec.plugin.retrieval.KnnBuilder;
import dev.memdec.plugin.retrieval.KnnConfig;
import dev.memdec.plugin.retrieval.ProbType;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The Spark stages on local masters against the single-machine commands over the same tiny host and corpus:
 * same files byte for byte, a task failing mid-partition retried without losing or repeating an entry, a rerun
 * after an aborted run resuming the finished partitions, and bad input failing on one line with nothing written.
 */
class SparkStagesTest {

    static final int CTX = 32;
    static final int STRIDE = 16;
    static final int K = 8;
    /** Chunks of 16 queries (16 × (K+1) results), so a few hundred entries make several chunks and ranges. */
    static final long RESULTS_PER_CHUNK = 16L * (K + 1);
    static final int ROWS_PER_TASK = 64;

    @TempDir
    static Path shared;
    static Path host;
    static Path otherHost;
    static List<Path> corpus;
    static Path singleDatastore;
    static Path singleFlat;
    static Path singleIvfpq;

    /** Partitions (corpus shards or query ranges) whose tasks ran, as "partition/attempt"; shared by local tasks. */
    static final Set<String> RAN = ConcurrentHashMap.newKeySet();

    @TempDir
    Path tmp;

    @BeforeAll
    static void singleMachineReference() throws IOException {
        Gpt2Config c = Gpt2Config.of(2, 64, 2, 64, Gpt2Tokenizer.VOCAB_SIZE);
        host = shared.resolve("host.gguf");
        Gpt2GgufExporter.write(c, new RandomGpt2Weights(c, 7), Gpt2Tokenizer.vocabulary(), GgmlType.F32, Map.of(), host);
        otherHost = shared.resolve("other.gguf");
        Gpt2GgufExporter.write(c, new RandomGpt2Weights(c, 8), Gpt2Tokenizer.vocabulary(), GgmlType.F32, Map.of(),
                otherHost);
        corpus = new ArrayList<>();
        String[] topics = {"the whale swam past ship number", "a lantern burned in tower", "the river carried boat"};
        for (int f = 0; f < topics.length; f++) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 14; i++) {
                text.append("Line ").append(i).append(": ").append(topics[f]).append(' ').append(i * 7 + f).append(".\n");
            }
            corpus.add(Files.writeString(shared.resolve("corpus-" + f + ".txt"), text));
        }
        singleDatastore = shared.resolve("single-ds");
        DatastoreBuilder.build(host, corpus, singleDatastore, options(), new DatastoreBuilder.Progress() {
            @Override
            public void start(long totalEntries, long entriesDone) {
            }

            @Override
            public void step(long entries) {
            }
        });
        try (Datastore ds = Datastore.open(singleDatastore)) {
            assertTrue(ds.count() >= 256, "IVF-PQ needs 256 training keys, the datastore has " + ds.count());
            singleFlat = shared.resolve("single-knn-flat");
            KnnBuilder.build(ds, singleFlat, config(IndexType.FLAT), n -> { }, () -> false, RESULTS_PER_CHUNK, null);
            singleIvfpq = shared.resolve("single-knn-ivfpq");
            KnnBuilder.build(ds, singleIvfpq, config(IndexType.IVFPQ), n -> { }, () -> false, RESULTS_PER_CHUNK, null);
        }
    }

    static DatastoreBuilder.Options options() {
        return new DatastoreBuilder.Options(CTX, STRIDE, KeyType.FFN_INPUT, 2);
    }

    static KnnConfig config(IndexType index) {
        return new KnnConfig(K, 16, 0, index, 4, 100_000, ProbType.F16);
    }

    static Retrieval.DatastoreJob job(Path hostFile) {
        return Retrieval.DatastoreJob.of(hostFile, corpus, options());
    }

    static Retrieval.KnnJob knnJob(Path datastore, IndexType index) {
        return Retrieval.KnnJob.of(datastore, config(index), RESULTS_PER_CHUNK);
    }

    /** Every file under {@code dir} (relative path → bytes). */
    static Map<String, byte[]> files(Path dir) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    static void assertSameFiles(Path expected, Path actual) throws IOException {
        Map<String, byte[]> e = files(expected);
        Map<String, byte[]> a = files(actual);
        assertEquals(e.keySet(), a.keySet(), "files of " + actual + " vs " + expected);
        for (String name : e.keySet()) {
            assertArrayEquals(e.get(name), a.get(name), name + " differs from the single-machine output");
        }
    }

    /** Fails the first attempt of {@code partition} once it has completed {@code after} units. */
    static TaskHook failFirstAttempt(int partition, long after) {
        return (p, attempt, units) -> {
            RAN.add(p + "/" + attempt);
            if (p == partition && attempt == 0 && units == after) {
                throw new IllegalStateException("injected failure of partition " + p + " after " + units + " units");
            }
        };
    }

    /** Fails every attempt of {@code partition} after its first unit: the job aborts, as if the driver died. */
    static TaskHook failAlways(int partition) {
        return (p, attempt, units) -> {
            RAN.add(p + "/" + attempt);
            if (p == partition) {
                throw new IllegalStateException("injected failure of partition " + p);
            }
        };
    }

    static TaskHook record() {
        return (p, attempt, units) -> RAN.add(p + "/" + attempt);
    }

    @Test
    void datastoreEqualsSingleMachineAndLoadsTheHostOncePerJvm() throws IOException {
        Path out = tmp.resolve("ds");
        int loadsBefore = HostModels.loads();
        DatastoreStage.run("local[2]", job(host), out, TaskHook.NONE, () -> false);
        assertSameFiles(singleDatastore, out);
        DatastoreStage.run("local[2]", job(host), tmp.resolve("ds2"), TaskHook.NONE, () -> false);
        assertTrue(HostModels.loads() - loadsBefore <= 1, "3 shards × 2 runs loaded the host "
                + (HostModels.loads() - loadsBefore) + " times in one JVM");
    }

    @Test
    void datastoreTaskFailingMidShardIsRetriedWithoutLosingOrRepeatingEntries() throws IOException {
        RAN.clear();
        Path out = tmp.resolve("ds");
        DatastoreStage.run("local[2,2]", job(host), out, failFirstAttempt(1, 2), () -> false);
        assertTrue(RAN.contains("1/1"), "shard 1 was retried: " + RAN);
        assertSameFiles(singleDatastore, out);
    }

    @Test
    void datastoreRerunAfterAbortBuildsOnlyMissingShards() throws IOException {
        RAN.clear();
        Path out = tmp.resolve("ds");
        // local[1]: shards run in order, so shards 0 and 1 finish before shard 2 aborts the job
        assertThrows(IOException.class, () -> DatastoreStage.run("local[1]", job(host), out, failAlways(2), () -> false));
        assertFalse(Files.exists(out.resolve("datastore.json")));
        assertFalse(Files.exists(out.resolve("keys.f16")), "nothing of the result is written before every shard is done");
        assertTrue(Retrieval.isFinishedDatastore(DatastoreStage.shardDir(out.resolve(DatastoreStage.WORK), 1)));
        RAN.clear();
        DatastoreStage.run("local[2]", job(host), out, record(), () -> false);
        assertEquals(Set.of("2/0"), RAN, "only the unfinished shard is built again");
        assertSameFiles(singleDatastore, out);
    }

    @Test
    void datastoreRerunAfterDriverKillResumesFinishedShards() throws Exception {
        Path out = tmp.resolve("ds");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        // surefire sets system properties (the runtime profile among them) inside the fork, not on its command line
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("memdec.")) {
                cmd.add("-D" + name + "=" + System.getProperty(name));
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), DriverKillMain.class.getName(), "2",
                host.toString(), out.toString()));
        corpus.forEach(c -> cmd.add(c.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("driver.log").toFile()).start();
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "the driver ran past 120 s");
        assertEquals(137, p.exitValue(), () -> "the driver was not killed mid-shard: " + readLog());
        Path work = out.resolve(DatastoreStage.WORK);
        assertTrue(Retrieval.isFinishedDatastore(DatastoreStage.shardDir(work, 1)), "shards 0 and 1 were finished");
        assertFalse(Retrieval.isFinishedDatastore(DatastoreStage.shardDir(work, 2)), "shard 2 was mid-build");
        assertFalse(Files.exists(out.resolve("datastore.json")));
        RAN.clear();
        DatastoreStage.run("local[2]", job(host), out, record(), () -> false);
        assertEquals(Set.of("2/0"), RAN, "only the shard the driver died in is built again");
        assertSameFiles(singleDatastore, out);
    }

    private String readLog() {
        try {
            return Files.readString(tmp.resolve("driver.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Test
    void shardsOfAnotherHostAreRefusedWithNothingWritten() throws IOException {
        Path out = tmp.resolve("ds");
        assertThrows(IOException.class, () -> DatastoreStage.run("local[1]", job(otherHost), out, failAlways(2),
                () -> false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DatastoreStage.run("local[2]", job(host), out, TaskHook.NONE, () -> false));
        assertTrue(e.getMessage().contains("shard-00000") && e.getMessage().contains("host"), e.getMessage());
        assertFalse(Files.exists(out.resolve("datastore.json")));
        assertFalse(Files.exists(out.resolve("keys.f16.partial")), "the merge never started");
    }

    @Test
    void knnFlatAndIvfpqEqualSingleMachine() throws IOException {
        Path flat = shared.resolve("spark-knn-flat");   // next to the datastore, as the reference, for knn.json's path
        KnnStage.run("local[2]", knnJob(singleDatastore, IndexType.FLAT), flat, ROWS_PER_TASK, TaskHook.NONE,
                () -> false);
        assertSameFiles(singleFlat, flat);
        Path ivfpq = shared.resolve("spark-knn-ivfpq");
        KnnStage.run("local[2]", knnJob(singleDatastore, IndexType.IVFPQ), ivfpq, ROWS_PER_TASK, TaskHook.NONE,
                () -> false);
        assertSameFiles(singleIvfpq, ivfpq);
    }

    @Test
    void knnTaskFailingMidRangeIsRetriedAndAbortedRunResumes() throws IOException {
        RAN.clear();
        Path retried = shared.resolve("spark-knn-retried");
        KnnStage.run("local[2,2]", knnJob(singleDatastore, IndexType.FLAT), retried, ROWS_PER_TASK,
                failFirstAttempt(1, 2), () -> false);
        assertTrue(RAN.contains("1/1"), "range 1 was retried: " + RAN);
        assertSameFiles(singleFlat, retried);

        RAN.clear();
        Path resumed = shared.resolve("spark-knn-resumed");
        assertThrows(IOException.class, () -> KnnStage.run("local[1]", knnJob(singleDatastore, IndexType.FLAT), resumed,
                ROWS_PER_TASK, failAlways(2), () -> false));
        assertFalse(Files.exists(resumed.resolve("knn.json")));
        RAN.clear();
        KnnStage.run("local[2]", knnJob(singleDatastore, IndexType.FLAT), resumed, ROWS_PER_TASK, record(),
                () -> false);
        assertFalse(RAN.contains("0/0") || RAN.contains("1/0"), "finished ranges are not searched again: " + RAN);
        assertTrue(RAN.contains("2/0"), RAN.toString());
        assertSameFiles(singleFlat, resumed);
    }

    @Test
    void unreachableOrMalformedMasterFailsOnOneLineWithNothingWritten() {
        Path out = tmp.resolve("ds");
        for (String master : List.of("spark://127.0.0.1:1", "no-such-master")) {
            StringWriter err = new StringWriter();
            CommandLine cl = dev.memdec.plugin.cli.Main.commandLine();
            cl.setErr(new PrintWriter(err));
            int code = cl.execute("datastore", "--host", host.toString(), "--corpus", corpus.get(0).toString(),
                    "--out", out.toString(), "--ctx", "32", "--spark", master);
            assertEquals(1, code, err.toString());
            String[] lines = err.toString().strip().split("\n");
            assertEquals(1, lines.length, err.toString());
            assertTrue(lines[0].startsWith("memdec datastore: --spark " + master), lines[0]);
            assertFalse(Files.exists(out), "nothing written for " + master);
        }
    }
}

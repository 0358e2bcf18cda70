package dev.memdec.trainer.spark;

import dev.memdec.plugin.retrieval.DatastoreBuilder;
import dev.memdec.plugin.retrieval.KeyType;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A driver that dies: runs the datastore stage on {@code local[1]} (shards in order) and halts the JVM, as
 * {@code kill -9} would, in the middle of the shard given as the first argument. Args: shard, host, out, corpus….
 */
public final class DriverKillMain {

    private DriverKillMain() {
    }

    public static void main(String[] args) throws Exception {
        int killAt = Integer.parseInt(args[0]);
        List<Path> corpus = Arrays.stream(args, 3, args.length).map(Path::of).toList();
        Retrieval.DatastoreJob job = Retrieval.DatastoreJob.of(Path.of(args[1]), corpus,
                new DatastoreBuilder.Options(SparkStagesTest.CTX, SparkStagesTest.STRIDE, KeyType.FFN_INPUT, 2));
        DatastoreStage.run("local[1]", job, Path.of(args[2]), (shard, attempt, windows) -> {
            if (shard == killAt && windows == 2) {
                Runtime.getRuntime().halt(137);
            }
        }, () -> false);
        System.exit(3);   // not killed: the test fails on the exit code
    }
}

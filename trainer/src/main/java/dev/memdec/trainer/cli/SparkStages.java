package dev.memdec.trainer.cli;

import dev.memdec.plugin.retrieval.DatastoreBuilder;
import dev.memdec.plugin.retrieval.DatastoreManifest;
import dev.memdec.plugin.retrieval.KnnConfig;
import dev.memdec.plugin.retrieval.KnnManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.BooleanSupplier;

/**
 * The datastore and kNN stages on a Spark cluster ({@code --spark MASTER}), implemented by the trainer/spark module,
 * which ./memdec puts on the classpath only when {@code --spark} is given: the trainer itself never links Spark.
 * Both write exactly what the single-machine commands write, through the same writers.
 */
public interface SparkStages {

    /** Builds the datastore of {@code corpus} (one Spark task per corpus file) into {@code out}; resumable. */
    DatastoreManifest datastore(String master, Path host, List<Path> corpus, Path out, DatastoreBuilder.Options options,
                                BooleanSupplier stop) throws IOException;

    /** Searches every entry's neighbours ({@code rowsPerTask} queries per Spark task) into {@code out}; resumable. */
    KnnManifest knn(String master, Path datastore, Path out, KnnConfig config, int rowsPerTask, BooleanSupplier stop)
            throws IOException;

    /**
     * The implementation on the classpath.
     *
     * @throws IllegalArgumentException naming {@code --spark} when the Spark module is not on the classpath
     */
    static SparkStages load() {
        return ServiceLoader.load(SparkStages.class).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "--spark: the Spark module (trainer/spark) is not on the classpath; run through ./memdec, which adds "
                        + "it when --spark is given, or spark-submit the memdec-trainer-spark jar"));
    }
}

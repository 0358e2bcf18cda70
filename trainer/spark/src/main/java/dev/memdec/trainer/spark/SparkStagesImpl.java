package dev.memdec.trainer.spark;

import dev.memdec.trainer.cli.SparkStages;
import dev.memdec.plugin.retrieval.DatastoreBuilder;
import dev.memdec.plugin.retrieval.DatastoreManifest;
import dev.memdec.plugin.retrieval.KnnConfig;
import dev.memdec.plugin.retrieval.KnnManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;

/** {@code --spark} for {@code memdec datastore} and {@code memdec knn}; found by {@link java.util.ServiceLoader}. */
public final class SparkStagesImpl implements SparkStages {

    @Override
    public DatastoreManifest datastore(String master, Path host, List<Path> corpus, Path out,
                                       DatastoreBuilder.Options options, BooleanSupplier stop) throws IOException {
        return DatastoreStage.run(master, Retrieval.DatastoreJob.of(host, corpus, options), out, TaskHook.NONE, stop);
    }

    @Override
    public KnnManifest knn(String master, Path datastore, Path out, KnnConfig config, int rowsPerTask,
                           BooleanSupplier stop) throws IOException {
        return KnnStage.run(master, Retrieval.KnnJob.of(datastore, config), out, rowsPerTask, TaskHook.NONE, stop);
    }
}

package dev.memdec.plugin;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ServiceLoader;

/**
 * Opens {@link KnnRetriever}s; the trainer module registers one under {@code META-INF/services}. Without the
 * trainer on the class path there is none, and {@link #open(Request)} says so.
 */
public interface KnnRetrieverProvider {

    /**
     * What to retrieve from and for which host.
     *
     * @param knnDir       output of {@code memdec knn} (its {@code index.faiss} and {@code knn.json})
     * @param datastoreDir the datastore that index was built over (its values are the neighbours' tokens); null for
     *                     the one {@code knn.json} records
     * @param host         the host GGUF whose keys will query it (tokenizer and key width must match)
     * @param k            neighbours per query, 0 for the kNN build's k
     * @param temperature  softmax temperature, 0 for the kNN build's T
     */
    record Request(Path knnDir, Path datastoreDir, Path host, int k, double temperature) {
        public Request {
            if (k < 0) {
                throw new IllegalArgumentException("--knn-k must be >= 1, got " + k);
            }
            if (!(temperature >= 0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException("--knn-temp must be a finite number > 0, got " + temperature);
            }
        }
    }

    /**
     * @throws IllegalArgumentException when the directories do not hold a finished datastore and kNN index, or they
     *                                  do not fit the host (tokenizer, key width), naming the file and field
     * @throws IOException              when a file cannot be read
     */
    KnnRetriever retriever(Request request) throws IOException;

    /** Opens a retriever with the first provider on the class path. */
    static KnnRetriever open(Request request) throws IOException {
        KnnRetrieverProvider provider = ServiceLoader.load(KnnRetrieverProvider.class).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("--knn needs the memdec trainer module (it owns "
                        + "datastores and FAISS retrieval) on the class path; this runtime has only the plugin. Run "
                        + "it through ./memdec from a full checkout, or add the trainer jar"));
        return provider.retriever(request);
    }
}

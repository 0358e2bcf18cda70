package dev.memdec.plugin.retrieval;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Opens {@link KnnRetriever}s. The retrieval package lives in the plugin, so the runtime opens the kNN-LM
 * ({@link KnnLmProvider}) directly: no DJL and no trainer module on the class path.
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

    /** Opens the kNN-LM retriever of {@code request}. */
    static KnnRetriever open(Request request) throws IOException {
        return new KnnLmProvider().retriever(request);
    }
}

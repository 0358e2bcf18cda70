package dev.memdec.plugin.cli;

import dev.memdec.plugin.retrieval.KnnRetriever;
import dev.memdec.plugin.retrieval.KnnRetrieverProvider;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The flags of a live kNN-LM: which kNN index and datastore, k and temperature. */
public final class KnnFlags {

    @Option(names = "--knn", paramLabel = "DIR",
            description = "Also evaluate a kNN-LM: the kNN directory written by 'memdec knn' (index.faiss, knn.json). "
                    + "Finds its datastore through knn.json (checked by hash).")
    Path knn;

    @Option(names = "--datastore", paramLabel = "DIR", description = "The datastore the --knn index was built over "
            + "(default: the one recorded in the kNN directory's knn.json).")
    Path datastore;

    @Option(names = "--knn-k", paramLabel = "K", description = "Neighbours per position (default: the kNN build's k).")
    Integer k;

    @Option(names = "--knn-temp", paramLabel = "T",
            description = "Softmax temperature over squared L2 distances, > 0 (default: the kNN build's).")
    Double temperature;

    boolean present() {
        return knn != null;
    }

    /** Checks the flags' combination and ranges before any model is loaded. */
    void validate() {
        if (knn == null) {
            if (datastore != null || k != null || temperature != null) {
                throw new IllegalArgumentException("--datastore, --knn-k and --knn-temp need --knn");
            }
            return;
        }
        if (k != null && k < 1) {
            throw new IllegalArgumentException("--knn-k must be >= 1, got " + k);
        }
        if (temperature != null && !(temperature > 0 && !Double.isInfinite(temperature))) {
            throw new IllegalArgumentException("--knn-temp must be a finite number > 0, got " + temperature);
        }
    }

    /** The retriever for {@code host}, or null without --knn. */
    KnnRetriever open(Path host) throws IOException {
        validate();
        if (knn == null) {
            return null;
        }
        return KnnRetrieverProvider.open(new KnnRetrieverProvider.Request(knn, datastore, host,
                k == null ? 0 : k, temperature == null ? 0 : temperature));
    }
}

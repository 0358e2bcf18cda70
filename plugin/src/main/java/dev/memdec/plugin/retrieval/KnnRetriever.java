package dev.memdec.plugin.retrieval;

import java.nio.file.Path;
import java.util.List;

/**
 * Live kNN retrieval for a kNN-LM (reference-spec §7.6): the host's key at a position queries a datastore's index
 * and the neighbours' next tokens give p_kNN. Implemented by {@link KnnLm} over a datastore and its FAISS index,
 * opened through {@link KnnRetrieverProvider}.
 */
public interface KnnRetriever extends AutoCloseable {

    /** The host graph node whose rows are the keys (e.g. {@code ffn_norm-11}); captured with the eval callback. */
    String keyTensor();

    /** Key width: the host's n_embd. */
    int dimension();

    /** Neighbours per query. */
    int k();

    /** Softmax temperature T over squared L2 distances. */
    double temperature();

    /** Where the entries come from, for reports. */
    Path source();

    /** p_kNN of each of {@code n} queries ({@code n × dimension()} floats, row-major). */
    List<KnnDistribution> retrieve(float[] keys, int n);

    @Override
    void close();
}

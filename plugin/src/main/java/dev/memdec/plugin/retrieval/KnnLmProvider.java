package dev.memdec.plugin.retrieval;

import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.natives.faiss.FaissIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens a {@link KnnLm} for the runtime ({@code memdec perplexity/bench --knn}), after checking in Java that the
 * kNN directory, its datastore and the host belong together: the index was built over this datastore, the
 * datastore was built with the host's tokenizer, and its keys are as wide as the host's hidden state.
 */
public final class KnnLmProvider implements KnnRetrieverProvider {

    @Override
    public KnnRetriever retriever(Request r) throws IOException {
        try (KnnDistributions distributions = KnnDistributions.open(r.knnDir())) {
            return retriever(r, distributions);
        }
    }

    private static KnnRetriever retriever(Request r, KnnDistributions distributions) throws IOException {
        KnnManifest knn = distributions.manifest();
        Path indexFile = r.knnDir().resolve(KnnManifest.INDEX_FILE);
        if (!Files.isRegularFile(indexFile)) {
            throw new IllegalArgumentException("--knn " + r.knnDir() + ": " + KnnManifest.INDEX_FILE + " is missing");
        }
        String hostTokenizer;
        int hostDimension;
        int hostLayers;
        try (GgufFile host = GgufFile.open(r.host())) {
            hostTokenizer = BpeVocabulary.readFrom(host).sha256();
            hostDimension = (int) host.getUInt32(host.architecture() + ".embedding_length");
            hostLayers = (int) host.getUInt32(host.architecture() + ".block_count");
        }
        Path dsDir = r.datastoreDir() != null ? r.datastoreDir() : recordedDatastore(r.knnDir(), knn);
        Datastore ds = Datastore.open(dsDir);
        FaissIndex index = null;
        try {
            if (!ds.manifestSha256().equals(knn.datastore().manifestSha256())) {
                throw new IllegalArgumentException("--knn " + r.knnDir() + " was built over another datastore: "
                        + KnnManifest.FILE + " field 'datastore.manifestSha256' is " + knn.datastore().manifestSha256()
                        + " but " + dsDir.resolve(DatastoreManifest.FILE) + " hashes to " + ds.manifestSha256()
                        + (r.datastoreDir() == null ? " (the datastore recorded in field 'datastore.path'; pass "
                        + "--datastore DIR to name the right one)" : ""));
            }
            String dsTokenizer = ds.manifest().spec().tokenizerSha256();
            if (!dsTokenizer.equals(hostTokenizer)) {
                throw new IllegalArgumentException("--datastore " + dsDir + " was built with another tokenizer "
                        + "than the host " + r.host() + ": " + DatastoreManifest.FILE + " field 'spec.tokenizerSha256' is "
                        + dsTokenizer + ", the host's tokenizer hashes to " + hostTokenizer);
            }
            if (ds.dimension() != hostDimension) {
                throw new IllegalArgumentException("--datastore " + dsDir + " has keys of " + ds.dimension()
                        + " dimensions (" + DatastoreManifest.FILE + " field 'spec.dimension') but the host " + r.host()
                        + " has embedding_length " + hostDimension + "; build the datastore with this host");
            }
            index = distributions.openIndex(ds);
            int k = r.k() > 0 ? r.k() : knn.k();
            double t = r.temperature() > 0 ? r.temperature() : knn.temperature();
            return new KnnLm(index, ds, KnnLm.keyTensor(ds.manifest().spec().keyType(), hostLayers), k, t, true);
        } catch (IOException | RuntimeException e) {
            if (index != null) {
                index.close();
            }
            ds.close();
            throw e;
        }
    }

    /** The datastore {@code knn.json} names (field 'datastore.path'), which must still hold a datastore. */
    private static Path recordedDatastore(Path knnDir, KnnManifest knn) {
        Path dir = knn.datastore().resolve(knnDir).orElseThrow(() -> new IllegalArgumentException("--knn " + knnDir
                + ": " + KnnManifest.FILE + " has no field 'datastore.path' (written before memdec recorded it); "
                + "pass --datastore DIR, the datastore its index was built over"));
        if (!Files.isRegularFile(dir.resolve(DatastoreManifest.FILE))) {
            throw new IllegalArgumentException("--knn " + knnDir + ": the datastore recorded in " + KnnManifest.FILE
                    + " field 'datastore.path' (" + dir + ") has no " + DatastoreManifest.FILE + "; pass --datastore "
                    + "DIR, the datastore its index was built over");
        }
        return dir;
    }
}

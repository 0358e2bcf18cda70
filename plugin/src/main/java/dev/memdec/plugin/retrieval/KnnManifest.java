package dev.memdec.plugin.retrieval;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The {@code knn.json} of finished kNN distributions. Row r belongs to datastore entry r. Every file starts with a
 * {@link RetrievalFile} header naming it and carrying the datastore's id ({@code datastore.id}) and this run's
 * ({@code id}); {@code index.faiss} carries the same header as a trailer, after FAISS's bytes, with a CRC-32.
 * The rows follow the header; all files are little-endian: {@code offsets.i64} (count + 1 int64: row r is {@code [offsets[r], offsets[r+1])} of the next two
 * files), {@code tokens.i32} (int32 token ids, each row sorted by probability, descending), {@code probs.f16} or
 * {@code probs.f32} (IEEE half/single floats, each row renormalised to sum to 1), {@code labels.i32} (count int32:
 * the datastore value of entry r, kept as an alignment check).
 *
 * @param k          requested neighbours
 * @param neighbours neighbours actually used per entry: min(k, count − 1)
 * @param vocabSize  largest token id in the datastore + 1
 * @param entries    total stored (token, prob) pairs
 * @param id         this run's id (32 hex digits; {@link RetrievalFile#idOf} the datastore's id and the
 *                   settings), in the headers of its files
 */
public record KnnManifest(String format, int version, long count, int k, int neighbours, double temperature,
                          double threshold, ProbType probType, int vocabSize, long entries, IndexInfo index,
                          DatastoreRef datastore, List<FileChecksum> files, String id) {

    public static final String FORMAT = "memdec-knn";
    /** 2: files with {@link RetrievalFile} headers, {@code id} and {@code datastore.id}; 1 had headerless files. */
    public static final int VERSION = 2;
    public static final String FILE = "knn.json";
    public static final String INDEX_FILE = "index.faiss";
    static final String OFFSETS = "offsets.i64";
    static final String TOKENS = "tokens.i32";
    static final String LABELS = "labels.i32";

    static String probsFile(ProbType t) {
        return "probs." + t.cliName();
    }

    /** The FAISS index searched; {@code nprobe} is 0 for a flat index. */
    public record IndexInfo(IndexType type, String factory, int nprobe, int trainSize, String file, long bytes,
                            String sha256) {
    }

    /**
     * Which datastore the distributions were computed over.
     *
     * @param id   the datastore's id ({@code datastore.json} field 'id'), in the header of every file here
     * @param path where it was, relative to the kNN directory (absolute when no relative path exists); null in
     *             manifests written before it was recorded. The runtime finds the datastore there when no
     *             {@code --datastore} is given, and trusts it only when its manifest hashes to {@code manifestSha256}.
     */
    public record DatastoreRef(String manifestSha256, long count, int dimension, String path, String id) {

        /**
         * The recorded datastore directory of the kNN directory {@code knnDir}; empty when none was recorded.
         *
         * @throws IllegalArgumentException naming the field when the recorded path is not a path here (e.g. a NUL)
         */
        public Optional<Path> resolve(Path knnDir) {
            try {
                return Optional.ofNullable(path).map(p -> knnDir.resolve(p).normalize());
            } catch (java.nio.file.InvalidPathException e) {
                throw new IllegalArgumentException(knnDir.resolve(FILE) + ": datastore.path '" + path
                        + "' is not a valid path: " + e.getReason(), e);
            }
        }

        /** {@code datastoreDir} as recorded in the manifest written to {@code knnDir}. */
        static String pathFrom(Path knnDir, Path datastoreDir) {
            Path k = knnDir.toAbsolutePath().normalize();
            Path d = datastoreDir.toAbsolutePath().normalize();
            try {
                return k.relativize(d).toString();
            } catch (IllegalArgumentException e) {
                return d.toString();
            }
        }
    }
}

package dev.memdec.plugin.retrieval;

import java.util.List;

/**
 * The {@code datastore.json} of a finished datastore. Every data file starts with a {@link RetrievalFile} header
 * naming it and carrying {@code id} (twice: the datastore's and the file set's); the rows follow it. Entry r is row
 * r of {@code keys.f16} (little-endian IEEE half floats, {@code count × dimension}) and of {@code values.i32}
 * (little-endian int32 next-token ids). {@code tokens.i32} holds the corpus token streams (little-endian int32, one
 * stream per corpus file, lengths in {@code streamLengths}); the entries are the scored positions of their sliding
 * windows, in order (empty for synthetic datastores). The checksums cover whole files, headers included.
 *
 * @param id the datastore's id (32 hex digits): {@link RetrievalFile#idOf} its spec
 */
public record DatastoreManifest(String format, int version, DatastoreSpec spec, long count,
                                FileChecksum keys, FileChecksum values, List<Integer> streamLengths,
                                FileChecksum tokens, String id) {

    public static final String FORMAT = "memdec-datastore";
    /** 2: data files with {@link RetrievalFile} headers and the manifest's {@code id}; 1 had headerless files. */
    public static final int VERSION = 2;
    public static final String FILE = "datastore.json";
    public static final String KEYS_FILE = "keys.f16";
    public static final String VALUES_FILE = "values.i32";
    public static final String TOKENS_FILE = "tokens.i32";
}

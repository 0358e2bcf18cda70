package dev.memdec.plugin.retrieval;

import java.util.List;

/**
 * The {@code datastore.json} of a finished datastore. Entry r is row r of {@code keys.f16} (little-endian IEEE
 * half floats, {@code count × dimension}) and of {@code values.i32} (little-endian int32 next-token ids).
 * {@code tokens.i32} holds the corpus token streams (little-endian int32, one stream per corpus file, lengths in
 * {@code streamLengths}); the entries are the scored positions of their sliding windows, in order (empty for
 * synthetic datastores).
 */
public record DatastoreManifest(String format, int version, DatastoreSpec spec, long count,
                                FileChecksum keys, FileChecksum values, List<Integer> streamLengths,
                                FileChecksum tokens) {

    public static final String FORMAT = "memdec-datastore";
    public static final int VERSION = 1;
    public static final String FILE = "datastore.json";
    public static final String KEYS_FILE = "keys.f16";
    public static final String VALUES_FILE = "values.i32";
    public static final String TOKENS_FILE = "tokens.i32";
}

package dev.memdec.plugin.retrieval;

import java.util.List;
import java.util.Objects;

/**
 * What a datastore is made of, known before the first entry is written: the host and its tokenizer, the key type
 * and width, the corpus files, the sliding window (reference-spec §2.3) and the line grouping (§2.2; 0 = whole
 * files, none dropped).
 */
public record DatastoreSpec(SourceFile host, String tokenizerSha256, KeyType keyType, int dimension,
                            List<SourceFile> corpus, int windowCtx, int windowStride, int groupLines) {

    /** Whole corpus files as token streams. */
    public DatastoreSpec(SourceFile host, String tokenizerSha256, KeyType keyType, int dimension,
                         List<SourceFile> corpus, int windowCtx, int windowStride) {
        this(host, tokenizerSha256, keyType, dimension, corpus, windowCtx, windowStride, 0);
    }

    public DatastoreSpec {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(tokenizerSha256, "tokenizerSha256");
        Objects.requireNonNull(keyType, "keyType");
        corpus = List.copyOf(corpus);
        if (dimension <= 0) {
            throw new IllegalArgumentException("datastore key dimension must be positive, got " + dimension);
        }
        if (corpus.isEmpty()) {
            throw new IllegalArgumentException("datastore corpus is empty: give at least one corpus file");
        }
        if (windowCtx <= 1 || windowStride <= 0 || windowStride > windowCtx) {
            throw new IllegalArgumentException("datastore window: need ctx > 1 and 0 < stride <= ctx, got ctx="
                    + windowCtx + " stride=" + windowStride);
        }
        if (groupLines < 0) {
            throw new IllegalArgumentException("datastore groupLines must be 0 (off) or positive, got " + groupLines);
        }
    }
}

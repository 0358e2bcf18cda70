package dev.memdec.converter.tokenizer;

import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.gguf.GgufValue;
import dev.memdec.converter.gguf.GgufWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The tokenizer of an existing GGUF, carried over exactly: every {@code tokenizer.*} key with its value and type
 * (tokens, scores, token types, merges, pre-tokenizer, special ids, add_bos/add_eos, chat template, whatever the
 * model family stores), so a file written with it tokenizes exactly as the source does.
 *
 * @param source file it came from, for messages
 * @param keys   the {@code tokenizer.*} keys in file order
 * @param size   number of tokens
 * @param sha256 the source's {@code memdec.tokenizer_sha256}, else the canonical hash of a BPE vocabulary, else empty
 */
public record CopiedGgufTokenizer(String source, Map<String, GgufValue> keys, int size, Optional<String> sha256)
        implements GgufTokenizer {

    public CopiedGgufTokenizer {
        keys = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(keys));
    }

    /**
     * @throws IllegalArgumentException if the file carries no tokenizer ({@code tokenizer.ggml.model} or
     *                                  {@code tokenizer.ggml.tokens} missing), or a BPE one that is inconsistent
     */
    public static CopiedGgufTokenizer of(GgufFile f) {
        Map<String, GgufValue> keys = new LinkedHashMap<>();
        f.metadata().forEach((k, v) -> {
            if (k.startsWith("tokenizer.")) {
                keys.put(k, v);
            }
        });
        for (String required : new String[] {GgufKeys.TOKENIZER_MODEL, GgufKeys.TOKENIZER_TOKENS}) {
            if (!keys.containsKey(required)) {
                throw new IllegalArgumentException(f.name() + ": carries no tokenizer (no " + required + ")");
            }
        }
        int size = keys.get(GgufKeys.TOKENIZER_TOKENS).arrayLength();
        if (size < 1) {
            throw new IllegalArgumentException(f.name() + ": " + GgufKeys.TOKENIZER_TOKENS + " is empty");
        }
        Optional<String> sha = f.find(GgufKeys.TOKENIZER_SHA256).map(GgufValue::asString);
        if (sha.isEmpty() && keys.get(GgufKeys.TOKENIZER_MODEL).asString().equals("gpt2")) {
            sha = Optional.of(BpeVocabulary.readFrom(f).sha256());
        }
        return new CopiedGgufTokenizer(f.name(), keys, size, sha);
    }

    /**
     * This tokenizer cut to its first {@code rows} tokens, all the rows dropped being trailing {@link PaddingRows
     * padding rows}: every per-token array ({@code tokens}, {@code scores}, {@code token_type}) is cut, the rest
     * (merges, special ids, pre-tokenizer) is kept, so a model resized to the tokenizer's length (reference-spec §7.4)
     * carries a tokenizer of its row count. Itself when it has {@code rows} tokens already.
     *
     * @throws IllegalArgumentException when {@code rows} would drop a real token, or a special id names a dropped row
     */
    public CopiedGgufTokenizer truncatedTo(int rows) {
        if (rows == size) {
            return this;
        }
        List<String> tokens = keys.get(GgufKeys.TOKENIZER_TOKENS).asStringList();
        int real = PaddingRows.realSize(tokens);
        if (rows < real || rows > size) {
            throw new IllegalArgumentException(source + ": " + GgufKeys.TOKENIZER_TOKENS + " has " + size + " entries, "
                    + real + " of them real tokens; a model of " + rows + " rows cannot carry it");
        }
        Map<String, GgufValue> cut = new LinkedHashMap<>();
        keys.forEach((k, v) -> {
            if (k.equals(GgufKeys.TOKENIZER_TOKENS)) {
                cut.put(k, GgufValue.ofStringArray(tokens.subList(0, rows)));
            } else if (k.equals(GgufKeys.TOKENIZER_TOKEN_TYPE)) {
                cut.put(k, GgufValue.ofInt32Array(Arrays.copyOf(v.asInt32Array(), rows)));
            } else if (k.equals(GgufKeys.TOKENIZER_SCORES)) {
                cut.put(k, GgufValue.ofFloat32Array(Arrays.copyOf(v.asFloat32Array(), rows)));
            } else {
                if (k.endsWith("_token_id") && v.type().isInteger() && v.asLong() >= rows) {
                    throw new IllegalArgumentException(source + ": " + k + " " + v.asLong()
                            + " is a padding row; a model of " + rows + " rows cannot carry it");
                }
                cut.put(k, v);
            }
        });
        return new CopiedGgufTokenizer(source, cut, rows, sha256);
    }

    @Override
    public void writeTo(GgufWriter w) {
        keys.forEach(w::putValue);
    }

    @Override
    public Optional<String> canonicalSha256() {
        return sha256;
    }
}

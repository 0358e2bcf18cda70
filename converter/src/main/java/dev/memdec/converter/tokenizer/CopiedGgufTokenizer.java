package dev.memdec.converter.tokenizer;

import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.gguf.GgufValue;
import dev.memdec.converter.gguf.GgufWriter;
import java.util.LinkedHashMap;
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

    @Override
    public void writeTo(GgufWriter w) {
        keys.forEach(w::putValue);
    }

    @Override
    public Optional<String> canonicalSha256() {
        return sha256;
    }
}

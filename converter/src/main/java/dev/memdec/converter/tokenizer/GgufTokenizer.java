package dev.memdec.converter.tokenizer;

import dev.memdec.converter.gguf.GgufWriter;
import java.util.Optional;

/** A tokenizer as a GGUF carries it: the {@code tokenizer.*} keys llama.cpp reads, ready to be written into a model. */
public interface GgufTokenizer {

    /** Number of tokens: the row count of the model's {@code token_embd}. */
    int size();

    /** Writes every {@code tokenizer.*} key. */
    void writeTo(GgufWriter w);

    /** {@code memdec.tokenizer_sha256}: the canonical hash when this kind of tokenizer has one. */
    Optional<String> canonicalSha256();
}

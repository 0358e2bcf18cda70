package dev.memdec.plugin;

import dev.memdec.converter.tokenizer.PaddingRows;
import dev.memdec.natives.llama.Vocab;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What decides whether two models tokenize alike: the fields llama.cpp's speculative-decoding compatibility rule
 * reads, plus memdec's canonical tokenizer hash when the file carries one.
 *
 * @param source      where these facts come from (a file name), for error messages
 * @param vocabType   the vocabulary type as tokenizer.ggml.model names it (gpt2 = BPE, llama = SPM, bert, ...)
 * @param bos         beginning-of-sequence id, -1 if none
 * @param eos         end-of-sequence id, -1 if none
 * @param addBos      whether tokenization adds a BOS
 * @param addEos      whether tokenization adds an EOS
 * @param tokens      token texts by id; its size is the vocabulary size
 * @param sha256      {@code memdec.tokenizer_sha256} when present
 */
public record TokenizerFacts(String source, String vocabType, int bos, int eos, boolean addBos, boolean addEos,
        List<String> tokens, Optional<String> sha256) {

    /** The metadata key memdec writes into memories: the canonical tokenizer hash. */
    public static final String SHA256_KEY = "memdec.tokenizer_sha256";

    public TokenizerFacts {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(vocabType, "vocabType");
        tokens = List.copyOf(tokens);
        Objects.requireNonNull(sha256, "sha256");
    }

    /**
     * The facts of a model loaded in llama.cpp: BOS, EOS and add-BOS as its vocabulary resolved them (defaults
     * included), the vocabulary type and token texts from the GGUF file llama.cpp read them from (one parsed list
     * instead of one native call per token).
     */
    static TokenizerFacts of(Vocab vocab, ModelFile file) {
        if (file.tokens().size() != vocab.size()) {
            throw new IllegalStateException(file.path() + ": tokenizer.ggml.tokens has " + file.tokens().size()
                    + " entries but llama.cpp loaded " + vocab.size());
        }
        return new TokenizerFacts(file.path().toString(), file.tokenizerModel(), vocab.bos(), vocab.eos(),
                vocab.addsBos(), file.addEos(), file.tokens(), file.sha256());
    }

    /** Number of tokens (llama.cpp's n_vocab, the model's output rows). */
    public int vocabSize() {
        return tokens.size();
    }

    /**
     * Number of real tokens: {@link #vocabSize()} less the trailing {@link PaddingRows padding rows} llama.cpp's
     * converter adds up to the output rows (the tokenizer's length, to which the reference slices logits).
     */
    public int realVocabSize() {
        return PaddingRows.realSize(tokens);
    }
}

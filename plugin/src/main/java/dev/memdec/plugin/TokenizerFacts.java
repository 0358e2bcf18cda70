package dev.memdec.plugin;

import dev.memdec.natives.llama.Vocab;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What decides whether two models tokenize alike: the fields llama.cpp's speculative-decoding compatibility rule
 * reads, plus memdec's canonical tokenizer hash when the file carries one.
 *
 * @param source      where these facts come from (a file name), for error messages
 * @param vocabType   llama.cpp's vocabulary type (tokenizer.ggml.model: gpt2, llama, bert, ...)
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

    /** The facts of a model loaded in llama.cpp (its resolved vocabulary) plus what its GGUF file says. */
    static TokenizerFacts of(Vocab vocab, ModelFile file) {
        int n = vocab.size();
        String[] texts = new String[n];
        for (int i = 0; i < n; i++) {
            texts[i] = vocab.text(i);
        }
        return new TokenizerFacts(file.path().toString(), typeName(vocab.type()), vocab.bos(), vocab.eos(),
                vocab.addsBos(), file.addEos(), List.of(texts), file.sha256());
    }

    private static String typeName(int type) {
        return switch (type) {
            case Vocab.TYPE_NONE -> "none";
            case Vocab.TYPE_SPM -> "spm";
            case Vocab.TYPE_BPE -> "bpe";
            case Vocab.TYPE_WPM -> "wpm";
            case Vocab.TYPE_UGM -> "ugm";
            case Vocab.TYPE_RWKV -> "rwkv";
            default -> "type " + type;
        };
    }

    /** Number of tokens. */
    public int vocabSize() {
        return tokens.size();
    }
}

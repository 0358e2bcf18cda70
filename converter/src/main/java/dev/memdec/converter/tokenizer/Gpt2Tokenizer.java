package dev.memdec.converter.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * The GPT-2 tokenizer (OpenAI {@code r50k_base}, identical to HF {@code gpt2}): 50,256 byte-level BPE
 * tokens from JTokkit's rank table, the 50,000 merges rebuilt from those ranks, and
 * {@code <|endoftext|>} = 50256, as a {@link ByteLevelBpeTokenizer}.
 */
public final class Gpt2Tokenizer {

    /** Id of {@code <|endoftext|>}, GPT-2's bos, eos and document separator. */
    public static final int END_OF_TEXT = 50256;
    public static final int VOCAB_SIZE = 50257;
    public static final String END_OF_TEXT_TOKEN = "<|endoftext|>";
    /** JTokkit 1.1.0's copy of tiktoken's r50k_base ranks (sha256 306cd27f…9838dd930, data.md §1). */
    public static final String RANKS_RESOURCE = "/com/knuddels/jtokkit/r50k_base.tiktoken";

    private static final class Holder {
        static final ByteLevelBpeTokenizer INSTANCE = new ByteLevelBpeTokenizer(buildVocabulary());
    }

    private Gpt2Tokenizer() {
    }

    /** The shared tokenizer (built once, about a second, on first use). */
    public static ByteLevelBpeTokenizer get() {
        return Holder.INSTANCE;
    }

    /** The GPT-2 vocabulary: model {@code gpt2}, pre {@code gpt-2}, 50257 tokens, bos = eos = 50256. */
    public static BpeVocabulary vocabulary() {
        return get().vocabulary();
    }

    private static BpeVocabulary buildVocabulary() {
        TiktokenRanks ranks = TiktokenRanks.fromResource(RANKS_RESOURCE);
        if (ranks.size() != END_OF_TEXT) {
            throw new IllegalStateException(RANKS_RESOURCE + ": " + ranks.size() + " ranks, expected " + END_OF_TEXT);
        }
        List<String> tokens = new ArrayList<>(VOCAB_SIZE);
        int[] types = new int[VOCAB_SIZE];
        for (int id = 0; id < END_OF_TEXT; id++) {
            tokens.add(ranks.byteLevelToken(id));
            types[id] = BpeVocabulary.TYPE_NORMAL;
        }
        tokens.add(END_OF_TEXT_TOKEN);
        types[END_OF_TEXT] = BpeVocabulary.TYPE_CONTROL;
        return new BpeVocabulary("gpt2", ByteLevelBpeTokenizer.PRE, tokens, types, ranks.rebuildMerges(), END_OF_TEXT,
                END_OF_TEXT, OptionalInt.empty(), false);
    }
}

package dev.memdec.converter.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The GPT-2 tokenizer (OpenAI {@code r50k_base}, identical to HF {@code gpt2}): 50,256 byte-level BPE
 * tokens from JTokkit's rank table, the 50,000 merges rebuilt from those ranks, and
 * {@code <|endoftext|>} = 50256.
 *
 * <p>{@link #encode(String)} pre-tokenizes with GPT-2's regex and runs merge-list BPE; special-token text
 * such as {@code "<|endoftext|>"} inside the input is encoded as ordinary text (as HF does by default and
 * as llama.cpp does with {@code parse_special = false}).
 */
public final class Gpt2Tokenizer {

    /** Id of {@code <|endoftext|>}, GPT-2's bos, eos and document separator. */
    public static final int END_OF_TEXT = 50256;
    public static final int VOCAB_SIZE = 50257;
    public static final String END_OF_TEXT_TOKEN = "<|endoftext|>";
    /** JTokkit 1.1.0's copy of tiktoken's r50k_base ranks (sha256 306cd27f…9838dd930, data.md §1). */
    public static final String RANKS_RESOURCE = "/com/knuddels/jtokkit/r50k_base.tiktoken";

    /**
     * GPT-2's pre-tokenizer. Unicode classes make {@code \s} match the same whitespace as Python's
     * {@code regex} module does in the original encoder.
     */
    private static final Pattern PRE_TOKENIZER = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static final class Holder {
        static final Gpt2Tokenizer INSTANCE = new Gpt2Tokenizer(buildVocabulary());
    }

    /** Pre-tokens repeat heavily in text (words), so their BPE result is memoised up to this many entries. */
    private static final int CACHE_LIMIT = 200_000;

    private final BpeEncoder encoder;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    private Gpt2Tokenizer(BpeVocabulary vocabulary) {
        this.encoder = new BpeEncoder(vocabulary);
    }

    /** The shared tokenizer (built once, about a second, on first use). */
    public static Gpt2Tokenizer get() {
        return Holder.INSTANCE;
    }

    /** The GPT-2 vocabulary: model {@code gpt2}, pre {@code gpt-2}, 50257 tokens, bos = eos = 50256. */
    public static BpeVocabulary vocabulary() {
        return get().encoder.vocabulary();
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
        return new BpeVocabulary("gpt2", "gpt-2", tokens, types, ranks.rebuildMerges(), END_OF_TEXT, END_OF_TEXT,
                OptionalInt.empty(), false);
    }

    /** Token ids of {@code text}, no bos/eos added. Thread-safe. */
    public int[] encode(String text) {
        BpeEncoder.IntBuffer out = new BpeEncoder.IntBuffer();
        Matcher m = PRE_TOKENIZER.matcher(text);
        while (m.find()) {
            String piece = m.group();
            int[] ids = cache.get(piece);
            if (ids == null) {
                BpeEncoder.IntBuffer one = new BpeEncoder.IntBuffer();
                encoder.encode(piece.getBytes(StandardCharsets.UTF_8), one);
                ids = one.toArray();
                if (cache.size() < CACHE_LIMIT) {
                    cache.put(piece, ids);
                }
            }
            for (int id : ids) {
                out.add(id);
            }
        }
        return out.toArray();
    }

    /** The text of {@code ids}; byte sequences that are not valid UTF-8 decode to U+FFFD. */
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<String> tokens = encoder.vocabulary().tokens();
        for (int id : ids) {
            if (id < 0 || id >= tokens.size()) {
                throw new IllegalArgumentException("token id " + id + " is outside the GPT-2 vocabulary [0, "
                        + tokens.size() + ")");
            }
            bytes.writeBytes(ByteLevelUnicode.decode(tokens.get(id)));
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}

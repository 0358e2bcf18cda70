package dev.memdec.converter.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A byte-level BPE tokenizer over any {@link BpeVocabulary} with GPT-2's pre-tokenizer
 * ({@code tokenizer.ggml.pre = "gpt-2"}): GPT-2's own vocabulary ({@link Gpt2Tokenizer}) or one learned by
 * {@link BpeTrainer}. {@link #encode(String)} pre-tokenizes with GPT-2's regex and runs merge-list BPE, which is
 * what llama.cpp does for such a file; special-token text inside the input is encoded as ordinary text (llama.cpp
 * with {@code parse_special = false}).
 */
public final class ByteLevelBpeTokenizer {

    /** The value of {@code tokenizer.ggml.pre} whose pre-tokenizer this class implements. */
    public static final String PRE = "gpt-2";

    /**
     * GPT-2's pre-tokenizer. Unicode classes make {@code \s} match the same whitespace as Python's
     * {@code regex} module does in the original encoder.
     */
    static final Pattern PRE_TOKENIZER = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** Pre-tokens repeat heavily in text (words), so their BPE result is memoised up to this many entries. */
    private static final int CACHE_LIMIT = 200_000;

    private final BpeEncoder encoder;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @throws IllegalArgumentException unless the vocabulary is byte-level BPE ({@code model gpt2}) with GPT-2's
     *                                  pre-tokenizer, holds all 256 byte tokens and has consistent merges
     */
    public ByteLevelBpeTokenizer(BpeVocabulary vocabulary) {
        if (!vocabulary.model().equals("gpt2")) {
            throw new IllegalArgumentException("tokenizer.ggml.model: '" + vocabulary.model()
                    + "', expected 'gpt2' (byte-level BPE)");
        }
        if (!vocabulary.pre().equals(PRE)) {
            throw new IllegalArgumentException("tokenizer.ggml.pre: '" + vocabulary.pre() + "', expected '" + PRE
                    + "' (the only pre-tokenizer implemented in Java)");
        }
        this.encoder = new BpeEncoder(vocabulary);
    }

    public BpeVocabulary vocabulary() {
        return encoder.vocabulary();
    }

    /** The document separator: the vocabulary's eos id. */
    public int endOfText() {
        int eos = encoder.vocabulary().eos();
        if (eos < 0) {
            throw new IllegalStateException("the vocabulary names no eos token (tokenizer.ggml.eos_token_id)");
        }
        return eos;
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
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, "
                        + tokens.size() + ")");
            }
            bytes.writeBytes(ByteLevelUnicode.decode(tokens.get(id)));
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}

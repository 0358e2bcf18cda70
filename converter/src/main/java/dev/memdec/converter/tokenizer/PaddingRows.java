package dev.memdec.converter.tokenizer;

import java.util.List;

/**
 * Padding rows of a vocabulary: llama.cpp's converter pads {@code tokenizer.ggml.tokens} up to the model's output
 * rows (Qwen2.5-0.5B has 151,936 rows, Qwen2.5-7B 152,064, for the same 151,665-token tokenizer) with a token named
 * {@code [PAD<id>]} for every id the tokenizer does not define. They are not tokens: no text encodes to them, and the
 * reference truncates both models to the tokenizer's length before mixing (reference-spec §7.4). Here the real
 * vocabulary is the ids below the trailing run of such rows, so two vocabularies that differ only in padding agree on
 * it (and on the canonical tokenizer hash).
 */
public final class PaddingRows {

    private PaddingRows() {
    }

    /** Whether {@code token} at {@code id} is a padding row's name, {@code [PAD<id>]}. */
    public static boolean isPadding(String token, int id) {
        return token.length() > 5 && token.startsWith("[PAD") && token.endsWith("]")
                && token.substring(4, token.length() - 1).equals(Integer.toString(id));
    }

    /** The number of real tokens: {@code tokens.size()} less the trailing run of padding rows. */
    public static int realSize(List<String> tokens) {
        int n = tokens.size();
        while (n > 0 && isPadding(tokens.get(n - 1), n - 1)) {
            n--;
        }
        return n;
    }

    /** The name llama.cpp gives the padding row {@code id}. */
    public static String name(int id) {
        return "[PAD" + id + "]";
    }
}

package dev.memdec.plugin;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides whether a memory can be mixed into a host: both must map token ids to the same strings, or the mixed
 * distribution would add probabilities of different tokens.
 *
 * <p>The rule is llama.cpp's for a speculative-decoding draft model ({@code common_speculative_are_compatible}):
 * same vocabulary type, same BOS/EOS ids and add-BOS/add-EOS flags, vocabulary sizes within
 * {@value #MAX_VOCAB_SIZE_DIFFERENCE} of each other (memdec counts only real tokens: the trailing
 * {@link dev.memdec.converter.tokenizer.PaddingRows padding rows} of a family's larger sizes never count), and equal token texts from id
 * {@value #FIRST_CHECKED_TOKEN} up to the smaller size. memdec adds one check: when both sides carry a canonical
 * tokenizer hash ({@value TokenizerFacts#SHA256_KEY}), the hashes must match too (it also covers merges).
 */
public final class TokenizerCompatibility {

    /** llama.cpp's SPEC_VOCAB_MAX_SIZE_DIFFERENCE. */
    public static final int MAX_VOCAB_SIZE_DIFFERENCE = 128;
    /** llama.cpp's SPEC_VOCAB_CHECK_START_TOKEN_ID: the first ids are special tokens that may differ. */
    public static final int FIRST_CHECKED_TOKEN = 5;
    private static final int MAX_LISTED_TOKENS = 3;

    private TokenizerCompatibility() {
    }

    /** Every difference found, in words; empty when the two are compatible. */
    public static List<String> differences(TokenizerFacts host, TokenizerFacts memory) {
        List<String> out = new ArrayList<>();
        if (!host.vocabType().equals(memory.vocabType())) {
            out.add("vocabulary type: host " + host.vocabType() + ", memory " + memory.vocabType());
        }
        if (host.bos() != memory.bos()) {
            out.add("BOS id: host " + host.bos() + ", memory " + memory.bos());
        }
        if (host.eos() != memory.eos()) {
            out.add("EOS id: host " + host.eos() + ", memory " + memory.eos());
        }
        if (host.addBos() != memory.addBos()) {
            out.add("add_bos: host " + host.addBos() + ", memory " + memory.addBos());
        }
        if (host.addEos() != memory.addEos()) {
            out.add("add_eos: host " + host.addEos() + ", memory " + memory.addEos());
        }
        // llama.cpp's size rule, on the real tokens: padding rows alone never make two vocabularies differ
        int sizeDifference = Math.abs(host.realVocabSize() - memory.realVocabSize());
        if (sizeDifference > MAX_VOCAB_SIZE_DIFFERENCE) {
            out.add("vocabulary size: host " + sizeText(host) + ", memory " + sizeText(memory)
                    + " (at most " + MAX_VOCAB_SIZE_DIFFERENCE + " apart, padding rows not counted)");
        }
        int shared = Math.min(host.vocabSize(), memory.vocabSize());
        List<String> tokenDiffs = new ArrayList<>();
        int differing = 0;
        for (int id = FIRST_CHECKED_TOKEN; id < shared; id++) {
            if (!host.tokens().get(id).equals(memory.tokens().get(id))) {
                if (differing++ < MAX_LISTED_TOKENS) {
                    tokenDiffs.add("id " + id + " host " + quote(host.tokens().get(id)) + " memory "
                            + quote(memory.tokens().get(id)));
                }
            }
        }
        if (differing > 0) {
            out.add(differing + " token text(s) differ from id " + FIRST_CHECKED_TOKEN + " on, e.g. "
                    + String.join("; ", tokenDiffs));
        }
        if (host.sha256().isPresent() && memory.sha256().isPresent()
                && !host.sha256().get().equals(memory.sha256().get())) {
            out.add(TokenizerFacts.SHA256_KEY + ": host " + host.sha256().get() + ", memory " + memory.sha256().get());
        }
        return out;
    }

    /** Throws {@link IncompatibleMemoryException} naming every difference unless the two are compatible. */
    public static void requireCompatible(TokenizerFacts host, TokenizerFacts memory) {
        List<String> diffs = differences(host, memory);
        if (!diffs.isEmpty()) {
            throw new IncompatibleMemoryException("memory " + memory.source() + " does not share the tokenizer of host "
                    + host.source() + ": " + String.join("; ", diffs));
        }
    }

    private static String sizeText(TokenizerFacts f) {
        int padding = f.vocabSize() - f.realVocabSize();
        return f.realVocabSize() + (padding == 0 ? "" : " (+" + padding + " padding rows)");
    }

    private static String quote(String token) {
        StringBuilder sb = new StringBuilder("\"");
        token.codePoints().forEach(c -> {
            if (c < 0x20 || c == '"' || c == '\\') {
                sb.append(String.format("\\u%04x", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        return sb.append('"').toString();
    }
}

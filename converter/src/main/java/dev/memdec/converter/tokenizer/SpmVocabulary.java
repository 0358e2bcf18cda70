package dev.memdec.converter.tokenizer;

import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.gguf.GgufWriter;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A SentencePiece-style vocabulary as llama.cpp stores it ({@code tokenizer.ggml.model = "llama"}): pieces with
 * {@code ▁} for a space, one score per piece (llama.cpp's SPM tokenizer merges the pair whose result scores highest),
 * token types ({@code <0xXX>} byte pieces are type 6), special ids and the add-BOS/add-EOS/space-prefix flags.
 *
 * @param tokens         pieces by id, unique and non-empty
 * @param scores         one score per piece
 * @param tokenTypes     llama token types by id (1 NORMAL, 2 UNKNOWN, 3 CONTROL, 4 USER_DEFINED, 5 UNUSED, 6 BYTE)
 * @param bos            BOS id or -1
 * @param eos            EOS id or -1
 * @param unk            unknown-piece id or -1
 * @param pad            padding id if any
 * @param addBos         {@code tokenizer.ggml.add_bos_token}
 * @param addEos         {@code tokenizer.ggml.add_eos_token}
 * @param addSpacePrefix {@code tokenizer.ggml.add_space_prefix}: whether a {@code ▁} is prepended to the text
 */
public record SpmVocabulary(List<String> tokens, float[] scores, int[] tokenTypes, int bos, int eos, int unk,
                            OptionalInt pad, boolean addBos, boolean addEos, boolean addSpacePrefix) implements GgufTokenizer {

    public static final int TYPE_UNKNOWN = 2;
    public static final int TYPE_USER_DEFINED = 4;
    public static final int TYPE_BYTE = 6;

    public SpmVocabulary {
        tokens = List.copyOf(tokens);
        scores = scores.clone();
        tokenTypes = tokenTypes.clone();
        Objects.requireNonNull(pad, "pad");
        if (tokens.isEmpty() || scores.length != tokens.size() || tokenTypes.length != tokens.size()) {
            throw new IllegalArgumentException("tokenizer.ggml.tokens/scores/token_type: " + tokens.size() + " tokens, "
                    + scores.length + " scores, " + tokenTypes.length + " types; expected one of each per token");
        }
        Set<String> seen = new HashSet<>(tokens.size() * 2);
        for (int id = 0; id < tokens.size(); id++) {
            if (tokens.get(id).isEmpty() || !seen.add(tokens.get(id))) {
                throw new IllegalArgumentException("tokenizer.ggml.tokens[" + id + "]: empty or duplicate piece '"
                        + tokens.get(id) + "'");
            }
            if (tokenTypes[id] < 1 || tokenTypes[id] > 6) {
                throw new IllegalArgumentException("tokenizer.ggml.token_type[" + id + "]: " + tokenTypes[id]
                        + " is not a llama token type (1..6)");
            }
        }
        for (int id : new int[] {bos, eos, unk, pad.orElse(-1)}) {
            if (id < -1 || id >= tokens.size()) {
                throw new IllegalArgumentException("special token id " + id + " is outside the vocabulary [0, " + tokens.size() + ")");
            }
        }
    }

    @Override
    public int size() {
        return tokens.size();
    }

    @Override
    public void writeTo(GgufWriter w) {
        w.putString(GgufKeys.TOKENIZER_MODEL, "llama");
        w.putString(GgufKeys.TOKENIZER_PRE, "default");
        w.putStringArray(GgufKeys.TOKENIZER_TOKENS, tokens);
        w.putFloat32Array(GgufKeys.TOKENIZER_SCORES, scores);
        w.putInt32Array(GgufKeys.TOKENIZER_TOKEN_TYPE, tokenTypes);
        if (bos >= 0) {
            w.putUInt32(GgufKeys.TOKENIZER_BOS, bos);
        }
        if (eos >= 0) {
            w.putUInt32(GgufKeys.TOKENIZER_EOS, eos);
        }
        if (unk >= 0) {
            w.putUInt32("tokenizer.ggml.unknown_token_id", unk);
        }
        if (pad.isPresent()) {
            w.putUInt32("tokenizer.ggml.padding_token_id", pad.getAsInt());
        }
        w.putBool("tokenizer.ggml.add_bos_token", addBos);
        w.putBool("tokenizer.ggml.add_eos_token", addEos);
        w.putBool("tokenizer.ggml.add_space_prefix", addSpacePrefix);
    }

    /** None: memdec's canonical hash covers BPE vocabularies; the runtime's gate compares these token by token. */
    @Override
    public Optional<String> canonicalSha256() {
        return Optional.empty();
    }

    @Override
    public float[] scores() {
        return scores.clone();
    }

    @Override
    public int[] tokenTypes() {
        return tokenTypes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpmVocabulary v && tokens.equals(v.tokens) && java.util.Arrays.equals(scores, v.scores)
                && java.util.Arrays.equals(tokenTypes, v.tokenTypes) && bos == v.bos && eos == v.eos && unk == v.unk
                && pad.equals(v.pad) && addBos == v.addBos && addEos == v.addEos && addSpacePrefix == v.addSpacePrefix;
    }

    @Override
    public int hashCode() {
        return Objects.hash(tokens, java.util.Arrays.hashCode(scores), java.util.Arrays.hashCode(tokenTypes), bos, eos, unk,
                pad, addBos, addEos, addSpacePrefix);
    }

    @Override
    public String toString() {
        return "SpmVocabulary[tokens=" + tokens.size() + ", bos=" + bos + ", eos=" + eos + ", unk=" + unk + ", pad=" + pad
                + ", addBos=" + addBos + ", addEos=" + addEos + ", addSpacePrefix=" + addSpacePrefix + "]";
    }
}

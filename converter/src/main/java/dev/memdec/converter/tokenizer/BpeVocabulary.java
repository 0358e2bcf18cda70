package dev.memdec.converter.tokenizer;

import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.gguf.GgufValue;
import dev.memdec.converter.gguf.GgufWriter;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A byte-level BPE vocabulary exactly as llama.cpp stores it in {@code tokenizer.ggml.*} (gguf-spec §4):
 * tokens in GPT-2 byte-to-unicode form indexed by id, one token type per id, merges ordered by rank.
 *
 * @param model     {@code tokenizer.ggml.model}, {@code "gpt2"} for byte-level BPE
 * @param pre       {@code tokenizer.ggml.pre}, e.g. {@code "gpt-2"}
 * @param tokens    token strings by id; unique and non-empty
 * @param tokenTypes llama token types by id (1 NORMAL, 2 UNKNOWN, 3 CONTROL, 4 USER_DEFINED, 5 UNUSED, 6 BYTE)
 * @param merges    {@code "left right"} merge strings, rank = index
 * @param bos       beginning-of-sequence id, or -1 when the file names none
 * @param eos       end-of-sequence id, or -1 when the file names none
 * @param pad       padding id if any
 * @param addBos    {@code tokenizer.ggml.add_bos_token}
 */
public record BpeVocabulary(String model, String pre, List<String> tokens, int[] tokenTypes, List<String> merges,
                            int bos, int eos, OptionalInt pad, boolean addBos) implements GgufTokenizer {

    public static final int TYPE_NORMAL = 1;
    public static final int TYPE_CONTROL = 3;

    public BpeVocabulary {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(pre, "pre");
        Objects.requireNonNull(pad, "pad");
        tokens = List.copyOf(tokens);
        tokenTypes = tokenTypes.clone();
        merges = List.copyOf(merges);
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("tokenizer.ggml.tokens: empty vocabulary");
        }
        if (tokenTypes.length != tokens.size()) {
            throw new IllegalArgumentException("tokenizer.ggml.token_type: " + tokenTypes.length
                    + " entries, expected one per token (" + tokens.size() + ")");
        }
        Set<String> seen = new HashSet<>(tokens.size() * 2);
        for (int id = 0; id < tokens.size(); id++) {
            String t = tokens.get(id);
            if (t.isEmpty()) {
                throw new IllegalArgumentException("tokenizer.ggml.tokens[" + id + "]: empty token");
            }
            if (!seen.add(t)) {
                throw new IllegalArgumentException("tokenizer.ggml.tokens[" + id + "]: duplicate token '" + t
                        + "' (llama.cpp aborts on duplicates)");
            }
            if (tokenTypes[id] < 1 || tokenTypes[id] > 6) {
                throw new IllegalArgumentException("tokenizer.ggml.token_type[" + id + "]: " + tokenTypes[id]
                        + " is not a llama token type (1..6)");
            }
        }
        for (int r = 0; r < merges.size(); r++) {
            if (merges.get(r).indexOf(' ', 1) < 0) {
                throw new IllegalArgumentException("tokenizer.ggml.merges[" + r + "]: '" + merges.get(r)
                        + "' has no separating space after its first character");
            }
        }
        checkId("bos", bos, tokens.size());
        checkId("eos", eos, tokens.size());
        if (pad.isPresent()) {
            checkId("padding", pad.getAsInt(), tokens.size());
        }
    }

    private static void checkId(String what, int id, int size) {
        if (id < -1 || id >= size) {
            throw new IllegalArgumentException("tokenizer.ggml." + what + "_token_id: " + id
                    + " is outside the vocabulary [0, " + size + ")");
        }
    }

    private static final String PADDING_ID = "tokenizer.ggml.padding_token_id";
    private static final String ADD_BOS = "tokenizer.ggml.add_bos_token";

    /** Writes every {@code tokenizer.ggml.*} key llama.cpp reads for a BPE vocabulary (gguf-spec §4.1). */
    @Override
    public void writeTo(GgufWriter w) {
        w.putString(GgufKeys.TOKENIZER_MODEL, model);
        w.putString(GgufKeys.TOKENIZER_PRE, pre);
        w.putStringArray(GgufKeys.TOKENIZER_TOKENS, tokens);
        w.putInt32Array(GgufKeys.TOKENIZER_TOKEN_TYPE, tokenTypes);
        w.putStringArray(GgufKeys.TOKENIZER_MERGES, merges);
        if (bos >= 0) {
            w.putUInt32(GgufKeys.TOKENIZER_BOS, bos);
        }
        if (eos >= 0) {
            w.putUInt32(GgufKeys.TOKENIZER_EOS, eos);
        }
        if (pad.isPresent()) {
            w.putUInt32(PADDING_ID, pad.getAsInt());
        }
        w.putBool(ADD_BOS, addBos);
    }

    /**
     * Reads the vocabulary of a GGUF. Absent optional keys take llama.cpp's meaning: pre {@code "default"},
     * all token types NORMAL, no bos/eos (-1), add_bos only for pre {@code llama-bpe}.
     *
     * @throws IllegalArgumentException if tokens are missing, merges are missing for model {@code gpt2}, or
     *                                  the arrays are inconsistent; the message names the key
     */
    public static BpeVocabulary readFrom(GgufFile f) {
        String model = f.find(GgufKeys.TOKENIZER_MODEL).map(GgufValue::asString).orElseThrow(
                () -> new IllegalArgumentException(f.name() + ": no " + GgufKeys.TOKENIZER_MODEL));
        String pre = f.find(GgufKeys.TOKENIZER_PRE).map(GgufValue::asString).orElse("default");
        List<String> tokens = f.find(GgufKeys.TOKENIZER_TOKENS).map(GgufValue::asStringList).orElseThrow(
                () -> new IllegalArgumentException(f.name() + ": no " + GgufKeys.TOKENIZER_TOKENS));
        int[] types = f.find(GgufKeys.TOKENIZER_TOKEN_TYPE).map(GgufValue::asInt32Array).orElseGet(() -> {
            int[] normal = new int[tokens.size()];
            Arrays.fill(normal, TYPE_NORMAL);
            return normal;
        });
        List<String> merges = f.find(GgufKeys.TOKENIZER_MERGES).map(GgufValue::asStringList).orElse(null);
        if (merges == null) {
            if (model.equals("gpt2")) {
                throw new IllegalArgumentException(f.name() + ": no " + GgufKeys.TOKENIZER_MERGES
                        + ", required for tokenizer model gpt2");
            }
            merges = List.of();
        }
        int bos = f.find(GgufKeys.TOKENIZER_BOS).map(v -> (int) v.asLong()).orElse(-1);
        int eos = f.find(GgufKeys.TOKENIZER_EOS).map(v -> (int) v.asLong()).orElse(-1);
        OptionalInt pad = f.find(PADDING_ID).map(v -> OptionalInt.of((int) v.asLong())).orElse(OptionalInt.empty());
        boolean addBos = f.find(ADD_BOS).map(GgufValue::asBool).orElse(pre.equals("llama-bpe"));
        try {
            return new BpeVocabulary(model, pre, tokens, types, merges, bos, eos, pad, addBos);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(f.name() + ": " + e.getMessage(), e);
        }
    }

    /**
     * This vocabulary without its trailing {@link PaddingRows padding rows}: the tokenizer's length, to which the
     * reference resizes every model (reference-spec §7.4). Itself when it has none; the canonical hash is unchanged.
     *
     * @throws IllegalArgumentException when a special id (bos, eos, padding) names a padding row
     */
    public BpeVocabulary withoutPaddingRows() {
        int real = PaddingRows.realSize(tokens);
        if (real == tokens.size()) {
            return this;
        }
        try {
            return new BpeVocabulary(model, pre, tokens.subList(0, real), Arrays.copyOf(tokenTypes, real), merges,
                    bos, eos, pad, addBos);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + ", a padding row of " + tokens.size() + " tokens ("
                    + real + " real)", e);
        }
    }

    /** Number of tokens (n_vocab). */
    @Override
    public int size() {
        return tokens.size();
    }

    /** {@link #sha256()}. */
    @Override
    public Optional<String> canonicalSha256() {
        return Optional.of(sha256());
    }

    /**
     * Canonical SHA-256 of everything that decides how text maps to ids and back, as lowercase hex. It is
     * what {@code memdec.tokenizer_sha256} stores, so two files agree on it exactly when their vocabularies
     * are interchangeable.
     *
     * <p>Hashed bytes, in order (all integers little-endian int32, every string as its UTF-8 byte length as
     * int32 followed by the UTF-8 bytes): the string {@code "memdec-bpe-vocabulary-v1"}, {@code model},
     * {@code pre}, the token count, each token, each token type (of the real tokens only: trailing
     * {@link PaddingRows padding rows} are left out, so vocabularies that differ only in padding hash alike), the merge count, each merge, {@code bos},
     * {@code eos}, and the padding id (-1 if none). {@code addBos} is deliberately not part of it: it is a
     * calling convention, not a property of the id space.
     */
    public String sha256() {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
        ByteBuffer i32 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        HashSink sink = new HashSink(digest, i32);
        sink.string("memdec-bpe-vocabulary-v1");
        sink.string(model);
        sink.string(pre);
        int real = PaddingRows.realSize(tokens);
        sink.int32(real);
        tokens.subList(0, real).forEach(sink::string);
        for (int id = 0; id < real; id++) {
            sink.int32(tokenTypes[id]);
        }
        sink.int32(merges.size());
        merges.forEach(sink::string);
        sink.int32(bos);
        sink.int32(eos);
        sink.int32(pad.orElse(-1));
        return HexFormat.of().formatHex(digest.digest());
    }

    private record HashSink(MessageDigest digest, ByteBuffer i32) {
        void int32(int v) {
            digest.update(i32.clear().putInt(v).array());
        }

        void string(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            int32(utf8.length);
            digest.update(utf8);
        }
    }

    @Override
    public int[] tokenTypes() {
        return tokenTypes.clone();
    }

    /** Token type of {@code id} without copying the whole array. */
    public int tokenType(int id) {
        return tokenTypes[id];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BpeVocabulary v && model.equals(v.model) && pre.equals(v.pre) && tokens.equals(v.tokens)
                && Arrays.equals(tokenTypes, v.tokenTypes) && merges.equals(v.merges) && bos == v.bos && eos == v.eos
                && pad.equals(v.pad) && addBos == v.addBos;
    }

    @Override
    public int hashCode() {
        return Objects.hash(model, pre, tokens, Arrays.hashCode(tokenTypes), merges, bos, eos, pad, addBos);
    }

    @Override
    public String toString() {
        return "BpeVocabulary[model=" + model + ", pre=" + pre + ", tokens=" + tokens.size() + ", merges="
                + merges.size() + ", bos=" + bos + ", eos=" + eos + ", pad=" + pad + ", addBos=" + addBos + "]";
    }
}

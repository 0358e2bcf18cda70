package dev.memdec.converter.hf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.GgufTokenizer;
import dev.memdec.converter.tokenizer.SpmVocabulary;
import dev.memdec.converter.tokenizer.ByteLevelUnicode;
import dev.memdec.converter.io.TextFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Reads an HF byte-level BPE tokenizer into the llama.cpp vocabulary (gguf-spec §4.3): {@code tokenizer.json},
 * or {@code vocab.json} + {@code merges.txt}, plus added/special tokens and special ids from
 * {@code tokenizer_config.json} and config.json. The token list is padded with {@code [PADi]} UNUSED tokens to
 * the embedding's row count, because llama.cpp requires the two to be equal.
 *
 * <p>{@link #fromTokenizerJson} reads a lone {@code tokenizer.json} (with a {@code tokenizer_config.json} beside it
 * when there is one), the way {@code memdec init --tokenizer-from} takes it: byte-level BPE becomes a
 * {@link BpeVocabulary} whose pre-tokenizer is recognised from the split regex, and SentencePiece-style BPE (with
 * {@code byte_fallback}, e.g. Gemma's) an {@link SpmVocabulary}.
 */
public final class HfTokenizerReader {

    static final String TOKENIZER_JSON = "tokenizer.json";
    static final String VOCAB_JSON = "vocab.json";
    static final String MERGES_TXT = "merges.txt";
    static final String TOKENIZER_CONFIG = "tokenizer_config.json";

    /** The pre-tokenizer split regex of Llama-3's tokenizer.json; llama.cpp's {@code llama-bpe} implements exactly it. */
    static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Qwen2's (and Qwen3's) split regex, Llama-3's with single digits; llama.cpp's {@code qwen2} implements it. */
    static final String QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    static final int NORMAL = BpeVocabulary.TYPE_NORMAL;
    static final int CONTROL = BpeVocabulary.TYPE_CONTROL;
    static final int USER_DEFINED = 4;
    static final int UNUSED = 5;

    private record AddedToken(String content, boolean special) {
    }

    private HfTokenizerReader() {
    }

    static BpeVocabulary read(Path dir, HfConfig config, HfArchitecture architecture, int vocabRows) throws IOException {
        try {
            return readUnchecked(dir, config, architecture, vocabRows);
        } catch (IllegalStateException | UnsupportedOperationException | NullPointerException | ClassCastException
                 | NumberFormatException e) {
            // Gson's accessors throw these for a value of the wrong JSON kind, e.g. an added token without "id"
            throw new IllegalArgumentException(dir + ": malformed tokenizer files (" + TOKENIZER_JSON + ", " + VOCAB_JSON
                    + " or " + TOKENIZER_CONFIG + "): " + e, e);
        }
    }

    private static BpeVocabulary readUnchecked(Path dir, HfConfig config, HfArchitecture architecture, int vocabRows)
            throws IOException {
        Map<String, Integer> vocab;
        List<String> merges;
        Path mergesFile;
        Map<Integer, AddedToken> added = new TreeMap<>();
        Path tokenizerJson = dir.resolve(TOKENIZER_JSON);
        Optional<JsonObject> tokenizerConfig = readOptionalObject(dir.resolve(TOKENIZER_CONFIG));
        if (Files.isRegularFile(tokenizerJson)) {
            JsonObject root = readObject(tokenizerJson);
            JsonObject model = object(tokenizerJson, root, "model");
            String type = model.has("type") ? model.get("type").getAsString() : "";
            if (!type.equals("BPE") || (model.has("byte_fallback") && model.get("byte_fallback").getAsBoolean())) {
                throw new IllegalArgumentException(tokenizerJson + ": model.type '" + type + "'"
                        + (type.equals("BPE") ? " with byte_fallback (SentencePiece-style)" : "")
                        + " is not supported, expected byte-level BPE");
            }
            if (architecture == HfArchitecture.LLAMA && !hasRegex(root.get("pre_tokenizer"), LLAMA3_REGEX)) {
                throw new IllegalArgumentException(tokenizerJson + ": pre_tokenizer is not the Llama-3 split regex, so "
                        + "no llama.cpp pre-tokenizer is known to match it (only llama-bpe is supported for llama)");
            }
            vocab = readVocab(tokenizerJson, object(tokenizerJson, model, "vocab"));
            merges = readJsonMerges(tokenizerJson, model.get("merges"));
            mergesFile = tokenizerJson;
            readAddedTokens(tokenizerJson, root, added);
        } else if (Files.isRegularFile(dir.resolve(VOCAB_JSON)) && Files.isRegularFile(dir.resolve(MERGES_TXT))) {
            if (architecture == HfArchitecture.LLAMA) {
                throw new IllegalArgumentException(dir + ": llama needs a " + TOKENIZER_JSON
                        + " to confirm the Llama-3 pre-tokenizer; vocab.json + merges.txt cannot show it");
            }
            vocab = readVocab(dir.resolve(VOCAB_JSON), readObject(dir.resolve(VOCAB_JSON)));
            merges = readMergesTxt(dir.resolve(MERGES_TXT));
            mergesFile = dir.resolve(MERGES_TXT);
        } else {
            throw new IllegalArgumentException(dir + ": no " + TOKENIZER_JSON + " and no " + VOCAB_JSON + " + " + MERGES_TXT);
        }
        readConfigAddedTokens(dir.resolve(TOKENIZER_CONFIG), tokenizerConfig, added);
        checkMerges(mergesFile, merges, vocab);
        return assemble(dir, Optional.of(config), architecture.preTokenizer(), architecture == HfArchitecture.LLAMA,
                vocabRows, vocab, merges, added, tokenizerConfig);
    }

    private static void readAddedTokens(Path file, JsonObject root, Map<Integer, AddedToken> added) {
        if (root.has("added_tokens") && root.get("added_tokens").isJsonArray()) {
            for (JsonElement e : root.getAsJsonArray("added_tokens")) {
                JsonObject t = e.getAsJsonObject();
                added.put(tokenId(file, "added_tokens id", t.get("id")), new AddedToken(t.get("content").getAsString(),
                        t.has("special") && t.get("special").getAsBoolean()));
            }
        }
    }

    private static void readConfigAddedTokens(Path configFile, Optional<JsonObject> tokenizerConfig, Map<Integer, AddedToken> added) {
        tokenizerConfig.filter(c -> c.has("added_tokens_decoder") && c.get("added_tokens_decoder").isJsonObject())
                .ifPresent(c -> c.getAsJsonObject("added_tokens_decoder").entrySet().forEach(e -> {
                    JsonObject t = e.getValue().getAsJsonObject();
                    int id = parseId(configFile, e.getKey());
                    added.putIfAbsent(id, new AddedToken(t.get("content").getAsString(),
                            t.has("special") && t.get("special").getAsBoolean()));
                }));
    }

    /**
     * The tokenizer of a lone HF {@code tokenizer.json} (and the {@code tokenizer_config.json} beside it, if any) as
     * llama.cpp stores it; the token list has one entry per id up to the largest id of the vocabulary and the added
     * tokens.
     *
     * @throws IllegalArgumentException naming the file: not a BPE tokenizer, a byte-level pre-tokenizer no llama.cpp
     *                                  pre-tokenizer is known to match, or malformed content
     */
    public static GgufTokenizer fromTokenizerJson(Path file) throws IOException {
        try {
            return fromTokenizerJsonUnchecked(file);
        } catch (IllegalStateException | UnsupportedOperationException | NullPointerException | ClassCastException
                 | NumberFormatException e) {
            throw new IllegalArgumentException(file + ": malformed tokenizer.json: " + e, e);
        }
    }

    private static GgufTokenizer fromTokenizerJsonUnchecked(Path file) throws IOException {
        JsonObject root = readObject(file);
        JsonObject model = object(file, root, "model");
        String type = model.has("type") ? model.get("type").getAsString() : "";
        if (!type.equals("BPE")) {
            throw new IllegalArgumentException(file + ": model.type '" + type + "' is not supported, expected BPE "
                    + "(byte-level, or SentencePiece-style with byte_fallback)");
        }
        Path configFile = file.resolveSibling(TOKENIZER_CONFIG);
        Optional<JsonObject> tokenizerConfig = readOptionalObject(configFile);
        Map<String, Integer> vocab = readVocab(file, object(file, model, "vocab"));
        Map<Integer, AddedToken> added = new TreeMap<>();
        readAddedTokens(file, root, added);
        readConfigAddedTokens(configFile, tokenizerConfig, added);
        int rows = 1 + Math.max(vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1),
                added.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1));
        if (model.has("byte_fallback") && model.get("byte_fallback").getAsBoolean()) {
            return sentencePiece(file, root, model, vocab, added, rows, tokenizerConfig);
        }
        JsonElement preTokenizer = root.get("pre_tokenizer");
        String pre;
        if (hasRegex(preTokenizer, LLAMA3_REGEX)) {
            pre = "llama-bpe";
        } else if (hasRegex(preTokenizer, QWEN2_REGEX)) {
            pre = "qwen2";
        } else if (isGpt2ByteLevel(preTokenizer)) {
            pre = "gpt-2";
        } else {
            throw new IllegalArgumentException(file + ": pre_tokenizer matches none of the llama.cpp pre-tokenizers memdec "
                    + "recognises (llama-bpe, qwen2, gpt-2), so llama.cpp would split text differently");
        }
        List<String> merges = readJsonMerges(file, model.get("merges"));
        checkMerges(file, merges, vocab);
        return assemble(file, Optional.empty(), pre, pre.equals("llama-bpe"), rows, vocab, merges, added, tokenizerConfig);
    }

    /** GPT-2's own pre-tokenizer: a lone ByteLevel step with its built-in regex. */
    private static boolean isGpt2ByteLevel(JsonElement e) {
        return e != null && e.isJsonObject() && "ByteLevel".equals(stringOf(e.getAsJsonObject(), "type"))
                && e.getAsJsonObject().has("use_regex") && e.getAsJsonObject().get("use_regex").getAsBoolean();
    }

    private static String stringOf(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }

    /**
     * SentencePiece-style BPE (Gemma, Llama 2): pieces as they are, {@code <0xXX>} byte pieces typed BYTE, added
     * special tokens CONTROL, the unknown piece UNKNOWN. Scores are minus the id for normal pieces, which is
     * SentencePiece's own order (a BPE model lists pieces in the order their merges were learned), 0 for the rest.
     * A space prefix is added when the normalizer or pre-tokenizer prepends {@code ▁}.
     */
    private static SpmVocabulary sentencePiece(Path file, JsonObject root, JsonObject model, Map<String, Integer> vocab,
                                               Map<Integer, AddedToken> added, int rows, Optional<JsonObject> tokenizerConfig) {
        String[] tokens = new String[rows];
        int[] types = new int[rows];
        Map<String, Integer> ids = new HashMap<>();
        vocab.forEach((text, id) -> place(file, tokens, types, ids, id, text,
                text.matches("<0x[0-9A-Fa-f]{2}>") ? SpmVocabulary.TYPE_BYTE : NORMAL));
        added.forEach((id, t) -> {
            int type = t.special() ? CONTROL : USER_DEFINED;
            if (id < rows && t.content().equals(tokens[id])) {
                types[id] = type;
            } else {
                place(file, tokens, types, ids, id, t.content(), type);
            }
        });
        String unkText = stringOf(model, "unk_token");
        int unk = unkText != null && ids.containsKey(unkText) ? ids.get(unkText) : -1;
        if (unk >= 0) {
            types[unk] = SpmVocabulary.TYPE_UNKNOWN;
        }
        float[] scores = new float[rows];
        for (int i = 0; i < rows; i++) {
            if (tokens[i] == null) {
                place(file, tokens, types, ids, i, "[PAD" + i + "]", UNUSED);
            }
            scores[i] = types[i] == NORMAL ? -i : 0f;
        }
        OptionalInt bos = specialId(tokenizerConfig, "bos_token", ids, Optional.empty(), "");
        OptionalInt eos = specialId(tokenizerConfig, "eos_token", ids, Optional.empty(), "");
        OptionalInt pad = specialId(tokenizerConfig, "pad_token", ids, Optional.empty(), "");
        boolean addBos = flag(tokenizerConfig, "add_bos_token").orElse(true);
        boolean addEos = flag(tokenizerConfig, "add_eos_token").orElse(false);
        String steps = String.valueOf(root.get("normalizer")) + root.get("pre_tokenizer");
        boolean addSpacePrefix = steps.contains("\"Prepend\"")
                || (steps.contains("\"Metaspace\"") && !steps.contains("\"prepend_scheme\":\"never\""));
        return new SpmVocabulary(List.of(tokens), scores, types, bos.orElse(-1), eos.orElse(-1), unk, pad, addBos, addEos,
                addSpacePrefix);
    }

    private static Optional<Boolean> flag(Optional<JsonObject> tokenizerConfig, String key) {
        return tokenizerConfig.filter(c -> c.has(key) && c.get(key).isJsonPrimitive()
                && c.get(key).getAsJsonPrimitive().isBoolean()).map(c -> c.get(key).getAsBoolean());
    }

    /**
     * Every merge joins two tokens into a token, as HF tokenizers requires when it loads a BPE model
     * ({@code MergeTokenOutOfVocabulary}); llama.cpp does not check and silently drops the bytes of a merge result
     * it cannot find. Two merges of the same pair are refused too: the second could never apply.
     */
    private static void checkMerges(Path file, List<String> merges, Map<String, Integer> vocab) {
        java.util.Set<String> seen = new java.util.HashSet<>(merges.size() * 2);
        for (int i = 0; i < merges.size(); i++) {
            String merge = merges.get(i);
            int space = merge.indexOf(' ', 1);
            String a = merge.substring(0, space);
            String b = merge.substring(space + 1);
            for (String part : new String[] {a, b, a + b}) {
                if (!vocab.containsKey(part)) {
                    throw new IllegalArgumentException(file + ": merge #" + i + " '" + merge + "': '" + part
                            + "' is not in the vocabulary");
                }
            }
            if (!seen.add(merge)) {
                throw new IllegalArgumentException(file + ": merge #" + i + " '" + merge + "' appears twice");
            }
        }
    }

    private static BpeVocabulary assemble(Path dir, Optional<HfConfig> config, String pre, boolean defaultAddBos, int vocabRows,
                                          Map<String, Integer> vocab, List<String> merges, Map<Integer, AddedToken> added,
                                          Optional<JsonObject> tokenizerConfig) {
        String[] tokens = new String[vocabRows];
        int[] types = new int[vocabRows];
        Map<String, Integer> ids = new HashMap<>();
        // openai-community/gpt2 keeps <|endoftext|> in vocab.json with no added-token entry; it is still a control token
        vocab.forEach((text, id) -> place(dir, tokens, types, ids, id, text, looksSpecial(text) ? CONTROL : NORMAL));
        added.forEach((id, t) -> {
            if (id < vocabRows && t.content().equals(tokens[id])) {
                types[id] = t.special() || looksSpecial(t.content()) ? CONTROL : USER_DEFINED;
            } else {
                place(dir, tokens, types, ids, id, t.content(), t.special() || looksSpecial(t.content()) ? CONTROL : USER_DEFINED);
            }
        });
        for (int i = 0; i < vocabRows; i++) {
            if (tokens[i] == null) {
                place(dir, tokens, types, ids, i, "[PAD" + i + "]", UNUSED);
            }
        }
        for (int b = 0; b < 256; b++) {
            String symbol = String.valueOf(ByteLevelUnicode.charOf(b));
            if (!ids.containsKey(symbol)) {
                throw new IllegalArgumentException(dir + ": tokenizer lacks the byte-level symbol '" + symbol
                        + "' (U+" + Integer.toHexString(symbol.codePointAt(0)).toUpperCase() + "); not a byte-level BPE vocabulary");
            }
        }
        Path configFile = config.map(HfConfig::file).orElse(dir);
        OptionalInt bos = specialId(tokenizerConfig, "bos_token", ids, config, "bos_token_id");
        OptionalInt eos = specialId(tokenizerConfig, "eos_token", ids, config, "eos_token_id");
        OptionalInt pad = specialId(tokenizerConfig, "pad_token", ids, config, "pad_token_id");
        if (bos.isEmpty() && eos.isEmpty()) {
            throw new IllegalArgumentException(configFile + ": neither bos_token_id nor eos_token_id is set (nor in " + TOKENIZER_CONFIG + ")");
        }
        int bosId = bos.orElseGet(eos::getAsInt);
        int eosId = eos.orElse(bosId);
        for (int id : new int[] {bosId, eosId, pad.orElse(0)}) {
            if (id >= vocabRows) {
                throw new IllegalArgumentException(configFile + ": special token id " + id + " is outside the vocabulary of " + vocabRows);
            }
        }
        boolean addBos = flag(tokenizerConfig, "add_bos_token").orElse(defaultAddBos);
        return new BpeVocabulary("gpt2", pre, List.of(tokens), types, List.copyOf(merges), bosId, eosId, pad, addBos);
    }

    private static void place(Path dir, String[] tokens, int[] types, Map<String, Integer> ids, int id, String text, int type) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException(dir + ": token '" + text + "' has id " + id + " but the embedding has "
                    + tokens.length + " rows (config.json vocab_size)");
        }
        if (text.isEmpty()) {
            throw new IllegalArgumentException(dir + ": token id " + id + " is the empty string");
        }
        if (tokens[id] != null) {
            throw new IllegalArgumentException(dir + ": token id " + id + " is both '" + tokens[id] + "' and '" + text + "'");
        }
        Integer other = ids.putIfAbsent(text, id);
        if (other != null) {
            throw new IllegalArgumentException(dir + ": token '" + text + "' appears at ids " + other + " and " + id
                    + " (llama.cpp requires unique token texts)");
        }
        tokens[id] = text;
        types[id] = type;
    }

    /** llama.cpp treats {@code <|...|>} tokens as control tokens even when not flagged special. */
    private static boolean looksSpecial(String content) {
        return content.startsWith("<|") && content.endsWith("|>");
    }

    /** From tokenizer_config.json's {@code *_token} (a string or {@code {"content": ...}}), else config.json's id. */
    private static OptionalInt specialId(Optional<JsonObject> tokenizerConfig, String tokenKey, Map<String, Integer> ids,
                                         Optional<HfConfig> config, String idKey) {
        Optional<String> text = tokenizerConfig.map(c -> c.get(tokenKey)).filter(e -> e != null && !e.isJsonNull()).map(e ->
                e.isJsonObject() ? e.getAsJsonObject().get("content").getAsString() : e.getAsString());
        if (text.isPresent() && ids.containsKey(text.get())) {
            return OptionalInt.of(ids.get(text.get()));
        }
        return config.flatMap(c -> c.optionalId(idKey)).map(OptionalInt::of).orElse(OptionalInt.empty());
    }

    private static boolean hasRegex(JsonElement e, String regex) {
        if (e == null || e.isJsonNull() || e.isJsonPrimitive()) {
            return false;
        }
        if (e.isJsonArray()) {
            for (JsonElement x : e.getAsJsonArray()) {
                if (hasRegex(x, regex)) {
                    return true;
                }
            }
            return false;
        }
        JsonObject o = e.getAsJsonObject();
        JsonElement r = o.get("Regex");
        if (r != null && r.isJsonPrimitive() && r.getAsString().equals(regex)) {
            return true;
        }
        return o.entrySet().stream().anyMatch(x -> hasRegex(x.getValue(), regex));
    }

    private static Map<String, Integer> readVocab(Path file, JsonObject vocab) {
        Map<String, Integer> out = new HashMap<>(vocab.size() * 2);
        for (Map.Entry<String, JsonElement> e : vocab.entrySet()) {
            out.put(e.getKey(), tokenId(file, "vocab entry '" + e.getKey() + "'", e.getValue()));
        }
        return out;
    }

    /** A token id: an integer in [0, 2^31), read exactly (Gson's getAsInt wraps larger numbers into range). */
    private static int tokenId(Path file, String what, JsonElement e) {
        if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            try {
                int id = e.getAsBigDecimal().intValueExact();
                if (id >= 0) {
                    return id;
                }
            } catch (ArithmeticException | NumberFormatException notAnInt) {
                // reported below
            }
        }
        throw new IllegalArgumentException(file + ": " + what + " is " + e + ", expected a token id (an integer >= 0)");
    }

    private static List<String> readJsonMerges(Path file, JsonElement merges) {
        if (merges == null || !merges.isJsonArray()) {
            throw new IllegalArgumentException(file + ": model.merges is missing (llama.cpp's BPE needs merges)");
        }
        List<String> out = new ArrayList<>(merges.getAsJsonArray().size());
        for (JsonElement m : merges.getAsJsonArray()) {
            if (m.isJsonArray() && m.getAsJsonArray().size() == 2) {
                // transformers >= 4.45 writes pairs; a space inside a part is spelled as its byte-level symbol
                out.add(m.getAsJsonArray().get(0).getAsString().replace(" ", "\u0120") + " "
                        + m.getAsJsonArray().get(1).getAsString().replace(" ", "\u0120"));
            } else if (m.isJsonPrimitive() && m.getAsString().indexOf(' ', 1) > 0) {
                out.add(m.getAsString());
            } else {
                throw new IllegalArgumentException(file + ": merge #" + out.size() + " is " + m + ", expected \"a b\" or [\"a\", \"b\"]");
            }
        }
        return out;
    }

    private static List<String> readMergesTxt(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        List<String> lines = TextFiles.readUtf8(file).lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || (i == 0 && line.startsWith("#"))) {
                continue;
            }
            if (line.indexOf(' ', 1) < 0) {
                throw new IllegalArgumentException(file + ": line " + (i + 1) + " '" + line + "' is not a merge \"a b\"");
            }
            out.add(line);
        }
        return out;
    }

    private static int parseId(Path file, String key) {
        int id;
        try {
            id = Integer.parseInt(key);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": added_tokens_decoder key '" + key + "' is not a token id", e);
        }
        if (id < 0) {
            throw new IllegalArgumentException(file + ": added_tokens_decoder key '" + key + "' is not a token id (negative)");
        }
        return id;
    }

    private static JsonObject object(Path file, JsonObject parent, String key) {
        JsonElement e = parent.get(key);
        if (e == null || !e.isJsonObject()) {
            throw new IllegalArgumentException(file + ": '" + key + "' is missing or not an object");
        }
        return e.getAsJsonObject();
    }

    private static JsonObject readObject(Path file) throws IOException {
        try {
            JsonElement e = JsonParser.parseString(TextFiles.readUtf8(file));
            if (!e.isJsonObject()) {
                throw new IllegalArgumentException(file + ": expected a JSON object");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    private static Optional<JsonObject> readOptionalObject(Path file) throws IOException {
        return Files.isRegularFile(file) ? Optional.of(readObject(file)) : Optional.empty();
    }

    /** The chat template string of tokenizer_config.json, if it has one. */
    static Optional<String> chatTemplate(Path dir) throws IOException {
        return readOptionalObject(dir.resolve(TOKENIZER_CONFIG))
                .map(c -> c.get("chat_template"))
                .filter(e -> e != null && e.isJsonPrimitive())
                .map(JsonElement::getAsString);
    }
}

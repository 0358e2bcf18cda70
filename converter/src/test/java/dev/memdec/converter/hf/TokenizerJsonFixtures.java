package dev.memdec.converter.hf;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.memdec.converter.tokenizer.BpeTrainer;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Small HF {@code tokenizer.json} files of the two kinds {@code init --tokenizer-from} reads, written into a folder
 * with a {@code tokenizer_config.json} beside them, so tests need no downloaded tokenizer: a byte-level BPE with
 * Qwen2's split regex (llama.cpp pre-tokenizer {@code qwen2}) and a Gemma-style SentencePiece BPE with byte fallback.
 */
public final class TokenizerJsonFixtures {

    private static final String TEXT = "the cat sat on the mat. The dog sat on the log, and the cat saw the dog: 12 cats!";

    private TokenizerJsonFixtures() {
    }

    /** A byte-level BPE tokenizer.json of about 300 tokens (Qwen2 pre-tokenizer, eos {@code <|endoftext|>}). */
    public static Path byteLevelBpe(Path dir) throws IOException {
        Files.createDirectories(dir);
        BpeVocabulary v = BpeTrainer.train(List.of(TEXT), 300);
        JsonObject vocab = new JsonObject();
        for (int id = 0; id < v.size() - 1; id++) {
            vocab.addProperty(v.tokens().get(id), id);
        }
        JsonArray merges = new JsonArray();
        v.merges().forEach(m -> {
            JsonArray pair = new JsonArray();
            pair.add(m.substring(0, m.indexOf(' ', 1)));
            pair.add(m.substring(m.indexOf(' ', 1) + 1));
            merges.add(pair);
        });
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.addProperty("byte_fallback", false);
        model.add("vocab", vocab);
        model.add("merges", merges);
        JsonObject split = new JsonObject();
        split.addProperty("type", "Split");
        JsonObject pattern = new JsonObject();
        pattern.addProperty("Regex", HfTokenizerReader.QWEN2_REGEX);
        split.add("pattern", pattern);
        split.addProperty("behavior", "Isolated");
        JsonObject byteLevel = new JsonObject();
        byteLevel.addProperty("type", "ByteLevel");
        byteLevel.addProperty("use_regex", false);
        JsonObject pre = new JsonObject();
        pre.addProperty("type", "Sequence");
        JsonArray steps = new JsonArray();
        steps.add(split);
        steps.add(byteLevel);
        pre.add("pretokenizers", steps);
        JsonObject root = new JsonObject();
        root.add("added_tokens", addedTokens(List.of(BpeTrainer.END_OF_TEXT_TOKEN), v.size() - 1));
        root.add("pre_tokenizer", pre);
        root.add("model", model);
        JsonObject config = new JsonObject();
        config.addProperty("eos_token", BpeTrainer.END_OF_TEXT_TOKEN);
        config.addProperty("add_bos_token", false);
        return write(dir, root, config);
    }

    /**
     * A Gemma-style tokenizer.json: {@code <pad> <eos> <bos> <unk>}, the 256 {@code <0xXX>} byte pieces, the letters of
     * the text with {@code ▁} for a space, and merges up to a few words; spaces become {@code ▁} with no prefix.
     */
    public static Path sentencePieceBpe(Path dir) throws IOException {
        Files.createDirectories(dir);
        JsonObject vocab = new JsonObject();
        int id = 4;
        for (int b = 0; b < 256; b++) {
            vocab.addProperty(String.format("<0x%02X>", b), id++);
        }
        String normalized = TEXT.replace(' ', '\u2581');
        for (int cp : normalized.codePoints().distinct().sorted().toArray()) {
            vocab.addProperty(Character.toString(cp), id++);
        }
        JsonArray merges = new JsonArray();
        String[][] pairs = {{"\u2581", "t"}, {"h", "e"}, {"\u2581t", "he"}, {"a", "t"}, {"c", "at"}, {"\u2581", "cat"},
                {"s", "at"}, {"\u2581", "sat"}, {"o", "g"}, {"d", "og"}, {"\u2581", "dog"}, {"\u2581", "o"}, {"\u2581o", "n"}};
        for (String[] p : pairs) {
            JsonArray pair = new JsonArray();
            pair.add(p[0]);
            pair.add(p[1]);
            merges.add(pair);
            vocab.addProperty(p[0] + p[1], id++);
        }
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.addProperty("byte_fallback", true);
        model.addProperty("unk_token", "<unk>");
        model.add("vocab", vocab);
        model.add("merges", merges);
        List<String> specials = List.of("<pad>", "<eos>", "<bos>", "<unk>");
        for (int i = 0; i < specials.size(); i++) {
            vocab.addProperty(specials.get(i), i);
        }
        JsonObject normalizer = new JsonObject();
        normalizer.addProperty("type", "Replace");
        JsonObject space = new JsonObject();
        space.addProperty("String", " ");
        normalizer.add("pattern", space);
        normalizer.addProperty("content", "\u2581");
        JsonObject root = new JsonObject();
        root.add("added_tokens", addedTokens(specials, 0));
        root.add("normalizer", normalizer);
        root.add("model", model);
        JsonObject config = new JsonObject();
        config.addProperty("bos_token", "<bos>");
        config.addProperty("eos_token", "<eos>");
        config.addProperty("pad_token", "<pad>");
        config.addProperty("add_bos_token", true);
        config.addProperty("add_eos_token", false);
        return write(dir, root, config);
    }

    private static JsonArray addedTokens(List<String> contents, int firstId) {
        JsonArray added = new JsonArray();
        for (int i = 0; i < contents.size(); i++) {
            JsonObject t = new JsonObject();
            t.addProperty("id", firstId + i);
            t.addProperty("content", contents.get(i));
            t.add("special", new JsonPrimitive(true));
            added.add(t);
        }
        return added;
    }

    private static Path write(Path dir, JsonObject root, JsonObject config) throws IOException {
        Path file = dir.resolve(HfTokenizerReader.TOKENIZER_JSON);
        Files.writeString(file, root.toString());
        Files.writeString(dir.resolve(HfTokenizerReader.TOKENIZER_CONFIG), config.toString());
        return file;
    }
}

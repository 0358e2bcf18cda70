package dev.memdec.converter.hf;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.safetensors.SafetensorsDtype;
import dev.memdec.converter.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every refusal names the file and the tensor or key at fault, and leaves nothing in the output directory. */
class HfBadInputTest {

    @TempDir
    Path dir;

    private Path checkpoint(HfArchitecture arch) throws IOException {
        Path ckpt = dir.resolve("ckpt");
        SyntheticHfCheckpoint.tiny(arch).writeTo(ckpt);
        return ckpt;
    }

    private void assertRefused(Path ckpt, String... fragments) throws IOException {
        Path outDir = Files.createDirectories(dir.resolve("out"));
        Exception e = assertThrows(Exception.class, () -> HfConverter.convert(ckpt, outDir.resolve("model.gguf"), GgmlType.F16));
        assertTrue(e instanceof IllegalArgumentException || e instanceof IOException, e.toString());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should name " + f);
        }
        try (Stream<Path> left = Files.list(outDir)) {
            assertEquals(0, left.count(), "no output or temporary file may remain");
        }
    }

    /** Rewrites the safetensors header in place with a same-length textual edit. */
    private static void patchHeader(Path file, String from, String to) throws IOException {
        assertEquals(from.length(), to.length());
        byte[] bytes = Files.readAllBytes(file);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int at = text.indexOf(from);
        assertTrue(at > 0 && at < 4096, "pattern " + from + " in the header");
        byte[] patch = to.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(patch, 0, bytes, at, patch.length);
        Files.write(file, bytes);
    }

    private static void editJson(Path file, Consumer<JsonObject> edit) throws IOException {
        JsonObject o = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        edit.accept(o);
        Files.writeString(file, new GsonBuilder().serializeNulls().create().toJson(o));
    }

    @Test
    void truncatedSafetensors() throws IOException {
        Path ckpt = checkpoint(HfArchitecture.LLAMA);
        Path weights = ckpt.resolve("model.safetensors");
        try (FileChannel ch = FileChannel.open(weights, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 100);
        }
        assertRefused(ckpt, "model.safetensors", "truncated", "lm_head.weight");
    }

    @Test
    void headerThatDisagreesWithItsOffsets() throws IOException {
        Path ckpt = checkpoint(HfArchitecture.LLAMA);
        patchHeader(ckpt.resolve("model.safetensors"), "\"shape\":[300,64]", "\"shape\":[300,65]");
        assertRefused(ckpt, "model.safetensors", "tensor 'model.embed_tokens.weight'", "[300, 65]", "data_offsets");
    }

    @Test
    void unsupportedDtype() throws IOException {
        Path ckpt = checkpoint(HfArchitecture.LLAMA);
        patchHeader(ckpt.resolve("model.safetensors"), "\"dtype\":\"F32\"", "\"dtype\":\"I32\"");
        assertRefused(ckpt, "model.safetensors", "'model.embed_tokens.weight'", "unsupported dtype I32");
    }

    @Test
    void shapeThatDisagreesWithConfig() throws IOException {
        Path ckpt = checkpoint(HfArchitecture.QWEN2);
        editJson(ckpt.resolve("config.json"), c -> c.addProperty("intermediate_size", 100));
        assertRefused(ckpt, "'model.layers.0.mlp.gate_proj.weight'", "[96, 64]", "config.json implies [100, 64]");
    }

    @Test
    void missingTensor() throws IOException {
        SyntheticHfCheckpoint c = SyntheticHfCheckpoint.tiny(HfArchitecture.LLAMA);
        Path ckpt = checkpoint(HfArchitecture.LLAMA);
        SafetensorsWriter w = new SafetensorsWriter();
        for (Map.Entry<String, long[]> t : c.tensorShapes().entrySet()) {
            if (!t.getKey().equals("model.layers.1.self_attn.v_proj.weight")) {
                w.add(t.getKey(), SafetensorsDtype.F32, t.getValue(), (first, dst, n) -> {
                    for (int i = 0; i < n; i++) {
                        dst[i] = c.value(t.getKey(), t.getValue(), first + i);
                    }
                });
            }
        }
        w.write(ckpt.resolve("model.safetensors"));
        assertRefused(ckpt, "missing tensor 'model.layers.1.self_attn.v_proj.weight'");
    }

    @Test
    void missingQwen2BiasAndUntiedHeadAreMissingTensors() throws IOException {
        Path ckpt = checkpoint(HfArchitecture.QWEN2);
        editJson(ckpt.resolve("config.json"), c -> c.addProperty("tie_word_embeddings", false));
        assertRefused(ckpt, "missing tensor 'lm_head.weight'");
    }

    @Test
    void unknownExtraTensor() throws IOException {
        SyntheticHfCheckpoint c = SyntheticHfCheckpoint.tiny(HfArchitecture.QWEN2);
        Path ckpt = checkpoint(HfArchitecture.QWEN2);
        SafetensorsWriter w = new SafetensorsWriter();
        for (Map.Entry<String, long[]> t : c.tensorShapes().entrySet()) {
            w.add(t.getKey(), SafetensorsDtype.F32, t.getValue(), (first, dst, n) -> java.util.Arrays.fill(dst, 0, n, 0.5f));
        }
        w.add("model.layers.0.self_attn.o_proj.bias", new long[] {64}, new float[64]);
        w.write(ckpt.resolve("model.safetensors"));
        assertRefused(ckpt, "model.layers.0.self_attn.o_proj.bias", "does not know");
    }

    @Test
    void unsupportedArchitecture() throws IOException {
        Path ckpt = checkpoint(HfArchitecture.LLAMA);
        editJson(ckpt.resolve("config.json"), c -> {
            JsonArray a = new JsonArray();
            a.add("MistralForCausalLM");
            c.add("architectures", a);
        });
        assertRefused(ckpt, "config.json", "unsupported architecture 'MistralForCausalLM'", "LlamaForCausalLM");
    }

    @Test
    void ropeScalingOtherThanLlama3IsRefused() throws IOException {
        Path ckpt = checkpoint(HfArchitecture.LLAMA);
        editJson(ckpt.resolve("config.json"), c -> c.add("rope_scaling",
                JsonParser.parseString("{\"rope_type\":\"yarn\",\"factor\":4.0}")));
        assertRefused(ckpt, "config.json", "rope_scaling", "yarn", "only rope_type \"llama3\"");
    }

    @Test
    void llamaWithoutTheLlama3PreTokenizerIsRefused() throws IOException {
        Path ckpt = checkpoint(HfArchitecture.LLAMA);
        editJson(ckpt.resolve("tokenizer.json"), t -> t.add("pre_tokenizer",
                JsonParser.parseString("{\"type\":\"ByteLevel\",\"add_prefix_space\":false}")));
        assertRefused(ckpt, "tokenizer.json", "Llama-3");
    }

    @Test
    void tokenIdCollisionIsRefused() throws IOException {
        Path ckpt = checkpoint(HfArchitecture.GPT2);
        editJson(ckpt.resolve("vocab.json"), v -> v.addProperty("Ġthe", 5));
        assertRefused(ckpt, "token id 5 is both");
    }

    @Test
    void duplicateTokenTextIsRefused() throws IOException {
        Path ckpt = checkpoint(HfArchitecture.GPT2);
        editJson(ckpt.resolve("tokenizer_config.json"), c -> c.getAsJsonObject("added_tokens_decoder")
                .add("290", JsonParser.parseString("{\"content\":\"Ġthe\",\"special\":false}")));
        assertRefused(ckpt, "token 'Ġthe' appears at ids 261 and 290");
    }

    @Test
    void tokenizerLargerThanTheEmbeddingIsRefused() throws IOException {
        Path ckpt = checkpoint(HfArchitecture.QWEN2);
        editJson(ckpt.resolve("tokenizer.json"), t -> t.getAsJsonObject("model").getAsJsonObject("vocab").addProperty("Ġzz", 400));
        assertRefused(ckpt, "'Ġzz' has id 400", "300 rows");
    }

    @Test
    void mergeOfTokensOutsideTheVocabularyIsRefused() throws IOException {
        Path ckpt = checkpoint(HfArchitecture.QWEN2);
        editJson(ckpt.resolve("tokenizer.json"), t -> t.getAsJsonObject("model").getAsJsonArray("merges").add("zq xw"));
        assertRefused(ckpt, "tokenizer.json", "'zq xw'", "'zq' is not in the vocabulary");
    }

    @Test
    void repeatedMergeIsRefused() throws IOException {
        Path ckpt = checkpoint(HfArchitecture.GPT2);
        Files.writeString(ckpt.resolve("merges.txt"), "\nĠ t\n", java.nio.file.StandardOpenOption.APPEND);
        assertRefused(ckpt, "merges.txt", "'Ġ t' appears twice");
    }

    @Test
    void malformedAddedTokenIsRefused() throws IOException {
        Path ckpt = checkpoint(HfArchitecture.QWEN2);
        editJson(ckpt.resolve("tokenizer.json"), t -> t.getAsJsonArray("added_tokens").get(0).getAsJsonObject().remove("id"));
        assertRefused(ckpt, "tokenizer.json", "added_tokens id is null");
    }

    @Test
    void sentencePieceStyleTokenizerIsRefused() throws IOException {
        Path ckpt = checkpoint(HfArchitecture.QWEN2);
        editJson(ckpt.resolve("tokenizer.json"), t -> t.getAsJsonObject("model").addProperty("byte_fallback", true));
        assertRefused(ckpt, "tokenizer.json", "byte_fallback");
    }

    @Test
    void existingOutputSurvivesARefusal() throws IOException {
        Path ckpt = checkpoint(HfArchitecture.LLAMA);
        patchHeader(ckpt.resolve("model.safetensors"), "\"dtype\":\"F32\"", "\"dtype\":\"I32\"");
        Path out = dir.resolve("keep.gguf");
        Files.writeString(out, "previous");
        assertThrows(IllegalArgumentException.class, () -> HfConverter.convert(ckpt, out, GgmlType.Q8_0));
        assertEquals("previous", Files.readString(out));
    }
}

package dev.memdec.converter.hf;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2ReferenceModel;
import dev.memdec.converter.gpt2.Gpt2Weights;
import dev.memdec.converter.safetensors.SafetensorsDtype;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * GPT2LMHeadModel with the real GPT-2 tokenizer: the GPT-2 reference forward pass on the HF tensors (Conv1D
 * transposed here, independently of the converter) equals the same pass on the converted GGUF, and the
 * vocabulary read back is exactly the GPT-2 vocabulary the gpt2 exporter writes.
 */
class Gpt2FidelityTest {

    @TempDir
    Path dir;

    /** The openai-community/gpt2 tokenizer files: vocab.json with <|endoftext|> at 50256, merges.txt, no added tokens. */
    static void writeGpt2Tokenizer(Path ckpt) throws IOException {
        BpeVocabulary v = Gpt2Tokenizer.vocabulary();
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int i = 0; i < v.tokens().size(); i++) {
            vocab.put(v.tokens().get(i), i);
        }
        Files.writeString(ckpt.resolve("vocab.json"), new Gson().toJson(vocab), StandardCharsets.UTF_8);
        Files.writeString(ckpt.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", v.merges()) + "\n", StandardCharsets.UTF_8);
        Files.writeString(ckpt.resolve("tokenizer_config.json"), "{\"model_max_length\": 1024}");
        JsonObject config = JsonParser.parseString(Files.readString(ckpt.resolve("config.json"))).getAsJsonObject();
        config.addProperty("bos_token_id", Gpt2Tokenizer.END_OF_TEXT);
        config.addProperty("eos_token_id", Gpt2Tokenizer.END_OF_TEXT);
        Files.writeString(ckpt.resolve("config.json"), new Gson().toJson(config));
    }

    /** A 2-layer, 64-wide GPT-2 with the full 50257-token vocabulary. */
    static SyntheticHfCheckpoint tinyWithGpt2Vocab() {
        return new SyntheticHfCheckpoint(HfArchitecture.GPT2, 2, 64, 4, 4, 256, 64, Gpt2Tokenizer.VOCAB_SIZE, true,
                SafetensorsDtype.F32, 1, 7);
    }

    /** HF GPT-2 tensors as {@link Gpt2Weights}: Conv1D [in, out] transposed to [out, in], output tied to wte. */
    static Gpt2Weights hfAsGpt2Weights(Map<String, float[]> hf, SyntheticHfCheckpoint c) {
        return name -> {
            String h;
            boolean conv = false;
            int in = 0;
            int out = 0;
            if (name.equals("token_embd.weight") || name.equals("output.weight")) {
                h = "transformer.wte.weight";
            } else if (name.equals("position_embd.weight")) {
                h = "transformer.wpe.weight";
            } else if (name.startsWith("output_norm.")) {
                h = "transformer.ln_f." + name.substring("output_norm.".length());
            } else {
                String[] p = name.split("\\.", 3); // blk, i, rest
                String suffix = p[2].substring(p[2].lastIndexOf('.') + 1);
                String module = p[2].substring(0, p[2].lastIndexOf('.'));
                String hfModule = switch (module) {
                    case "attn_norm" -> "ln_1";
                    case "ffn_norm" -> "ln_2";
                    case "attn_qkv" -> "attn.c_attn";
                    case "attn_output" -> "attn.c_proj";
                    case "ffn_up" -> "mlp.c_fc";
                    case "ffn_down" -> "mlp.c_proj";
                    default -> throw new IllegalArgumentException(name);
                };
                h = "transformer.h." + p[1] + "." + hfModule + "." + suffix;
                conv = suffix.equals("weight") && !module.endsWith("norm");
                in = module.equals("ffn_down") ? c.ff() : c.embd();
                out = switch (module) {
                    case "attn_qkv" -> 3 * c.embd();
                    case "ffn_up" -> c.ff();
                    default -> c.embd();
                };
            }
            float[] values = conv ? HfCheckpoints.transpose(hf.get(h), in, out) : hf.get(h);
            return (first, dst, count) -> System.arraycopy(values, (int) first, dst, 0, count);
        };
    }

    @Test
    void referenceOnHfWeightsEqualsReferenceOnConvertedGguf() throws IOException {
        SyntheticHfCheckpoint c = tinyWithGpt2Vocab();
        Path ckpt = dir.resolve("gpt2");
        c.writeTo(ckpt);
        writeGpt2Tokenizer(ckpt);
        Path out = dir.resolve("gpt2.gguf");
        HfConverter.convert(ckpt, out, GgmlType.F32);

        Gpt2Config config = new Gpt2Config(c.layers(), c.embd(), c.heads(), c.context(), c.vocabSize(), c.ff(), 1e-5f);
        int[] prompt = Gpt2Tokenizer.get().encode("Memory decoders plug into llama.cpp, said the whale.");
        float[][] fromHf = new Gpt2ReferenceModel(config, hfAsGpt2Weights(HfCheckpoints.hfTensors(ckpt), c), false).logits(prompt);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(config, Gpt2Config.fromGguf(f));
            float[][] fromGguf = Gpt2ReferenceModel.load(f, false).logits(prompt);
            for (int t = 0; t < prompt.length; t++) {
                assertArrayEquals(fromHf[t], fromGguf[t], "position " + t);
            }
            BpeVocabulary v = BpeVocabulary.readFrom(f);
            assertEquals(Gpt2Tokenizer.vocabulary().sha256(), v.sha256(), "exactly the GPT-2 vocabulary of the gpt2 exporter");
            assertEquals("gpt-2", v.pre());
            assertEquals(BpeVocabulary.TYPE_CONTROL, v.tokenTypes()[Gpt2Tokenizer.END_OF_TEXT]);
        }
    }
}

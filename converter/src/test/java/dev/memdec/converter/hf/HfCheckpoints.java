package dev.memdec.converter.hf;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.gpt2.Gpt2Weights;
import dev.memdec.converter.safetensors.SafetensorsCheckpoint;
import dev.memdec.converter.safetensors.SafetensorsDtype;
import dev.memdec.converter.safetensors.SafetensorsTensor;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test helpers that read both sides of a conversion into HF-named float arrays: the checkpoint as written and
 * the GGUF with the documented transforms undone (GGUF → HF names, llama Q/K rows un-permuted, the GPT-2
 * Conv1D transpose reversed), implemented here independently of the converter.
 */
public final class HfCheckpoints {

    private HfCheckpoints() {
    }

    /** Every tensor of the HF checkpoint in {@code dir}, widened to float. */
    public static Map<String, float[]> hfTensors(Path dir) throws IOException {
        Map<String, float[]> out = new HashMap<>();
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            for (SafetensorsTensor t : c.tensors().values()) {
                out.put(t.name(), t.toFloatArray());
            }
        }
        return out;
    }

    /** The GGUF name of an HF qwen2/llama tensor, or null for tensors with no GGUF counterpart. */
    public static String ggufNameOf(String hf) {
        if (hf.equals("model.embed_tokens.weight")) {
            return "token_embd.weight";
        }
        if (hf.equals("model.norm.weight")) {
            return "output_norm.weight";
        }
        if (hf.equals("lm_head.weight")) {
            return "output.weight";
        }
        String[] parts = hf.split("\\.", 4); // model, layers, i, rest
        String rest = parts[3];
        String gguf = switch (rest.substring(0, rest.lastIndexOf('.'))) {
            case "input_layernorm" -> "attn_norm";
            case "post_attention_layernorm" -> "ffn_norm";
            case "self_attn.q_proj" -> "attn_q";
            case "self_attn.k_proj" -> "attn_k";
            case "self_attn.v_proj" -> "attn_v";
            case "self_attn.o_proj" -> "attn_output";
            case "mlp.gate_proj" -> "ffn_gate";
            case "mlp.up_proj" -> "ffn_up";
            case "mlp.down_proj" -> "ffn_down";
            default -> throw new IllegalArgumentException(hf);
        };
        return "blk." + parts[2] + "." + gguf + rest.substring(rest.lastIndexOf('.'));
    }

    /**
     * The GGUF's qwen2/llama tensors under their HF names; with {@code unpermute} llama's Q/K rows are put back
     * in HF's half-split order (old row j = new row 2j, old row j + d/2 = new row 2j + 1 within each head).
     */
    public static Map<String, float[]> ggufAsHf(GgufFile f, Iterable<String> hfNames, int heads, int kvHeads, int headDim,
                                                boolean unpermute) {
        Map<String, float[]> out = new HashMap<>();
        for (String hf : hfNames) {
            GgufTensorInfo info = f.tensor(ggufNameOf(hf)).orElse(null);
            if (info == null) {
                continue;
            }
            float[] v = f.readFloats(info);
            boolean q = hf.contains("q_proj");
            boolean k = hf.contains("k_proj");
            if (unpermute && (q || k)) {
                v = unpermute(v, q ? heads : kvHeads, headDim);
            }
            out.put(hf, v);
        }
        return out;
    }

    /**
     * Every tensor of a GGUF of the NEOX-rope families memdec writes ({@code qwen2}, {@code qwen3}, {@code gemma3},
     * {@code phi3}; e.g. made by {@code memdec init}) under its HF name in HF layout, for
     * {@link RopeDecoderReference}. The matrices need no change (GGUF {embd, rows} is HF's row-major [rows, embd];
     * NEOX rope is HF's rotate_half, so Q/K rows are not permuted; phi3's fused {@code attn_qkv} and {@code ffn_up}
     * are HF's {@code qkv_proj} and {@code gate_up_proj}); gemma3's norm gains, stored with Gemma's +1 applied, lose
     * it again.
     *
     * @throws IllegalArgumentException for another architecture or a tensor this mapping does not know
     */
    public static Map<String, float[]> familyAsHf(GgufFile f) {
        String arch = f.architecture();
        if (!List.of("qwen2", "qwen3", "gemma3", "phi3").contains(arch)) {
            throw new IllegalArgumentException(f.name() + ": architecture " + arch + " is not a NEOX-rope family");
        }
        boolean gemma = arch.equals("gemma3");
        Map<String, float[]> out = new HashMap<>();
        for (GgufTensorInfo t : f.tensors()) {
            String gguf = t.name();
            String hf = switch (gguf) {
                case "token_embd.weight" -> "model.embed_tokens.weight";
                case "output_norm.weight" -> "model.norm.weight";
                case "output.weight" -> "lm_head.weight";
                default -> {
                    String[] p = gguf.split("\\.", 3); // blk, i, rest
                    if (p.length != 3 || !p[0].equals("blk")) {
                        throw new IllegalArgumentException(f.name() + ": unexpected tensor " + gguf);
                    }
                    String rest = switch (p[2]) {
                        case "attn_norm.weight" -> "input_layernorm.weight";
                        case "attn_q.weight", "attn_q.bias" -> "self_attn.q_proj." + suffix(p[2]);
                        case "attn_k.weight", "attn_k.bias" -> "self_attn.k_proj." + suffix(p[2]);
                        case "attn_v.weight", "attn_v.bias" -> "self_attn.v_proj." + suffix(p[2]);
                        case "attn_qkv.weight" -> "self_attn.qkv_proj.weight";
                        case "attn_output.weight" -> "self_attn.o_proj.weight";
                        case "attn_q_norm.weight" -> "self_attn.q_norm.weight";
                        case "attn_k_norm.weight" -> "self_attn.k_norm.weight";
                        case "post_attention_norm.weight" -> "post_attention_layernorm.weight";
                        case "ffn_norm.weight" -> gemma ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight";
                        case "post_ffw_norm.weight" -> "post_feedforward_layernorm.weight";
                        case "ffn_gate.weight" -> "mlp.gate_proj.weight";
                        case "ffn_up.weight" -> arch.equals("phi3") ? "mlp.gate_up_proj.weight" : "mlp.up_proj.weight";
                        case "ffn_down.weight" -> "mlp.down_proj.weight";
                        default -> throw new IllegalArgumentException(f.name() + ": unexpected tensor " + gguf);
                    };
                    yield "model.layers." + p[1] + "." + rest;
                }
            };
            float[] v = f.readFloats(t);
            if (gemma && gguf.endsWith("norm.weight")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] -= 1;
                }
            }
            out.put(hf, v);
        }
        return out;
    }

    private static String suffix(String name) {
        return name.substring(name.lastIndexOf('.') + 1);
    }

    static float[] unpermute(float[] permuted, int heads, int headDim) {
        int cols = permuted.length / (heads * headDim);
        float[] out = new float[permuted.length];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < headDim / 2; j++) {
                int base = h * headDim;
                System.arraycopy(permuted, (base + 2 * j) * cols, out, (base + j) * cols, cols);
                System.arraycopy(permuted, (base + 2 * j + 1) * cols, out, (base + j + headDim / 2) * cols, cols);
            }
        }
        return out;
    }

    /** A Conv1D [in, out] matrix as the [out, in] matrix, or back (transposes a rows×cols row-major matrix). */
    public static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }

    /**
     * Llama-3.1-style scaling with a small original context (64) so that, at the short prompts tests use, most
     * rotary pairs are affected: pair 0 unscaled, pair 1 interpolated, pairs 2.. divided by 8 (head_dim 16).
     */
    public static final RopeDecoderReference.Llama3Scaling LLAMA3_SCALING = new RopeDecoderReference.Llama3Scaling(8, 1, 4, 64);

    /** Adds {@link #LLAMA3_SCALING} to the checkpoint's config.json as {@code rope_scaling}. */
    public static void addLlama3RopeScaling(Path ckpt) throws IOException {
        JsonObject config = JsonParser.parseString(Files.readString(ckpt.resolve("config.json"))).getAsJsonObject();
        JsonObject scaling = new JsonObject();
        scaling.addProperty("rope_type", "llama3");
        scaling.addProperty("factor", LLAMA3_SCALING.factor());
        scaling.addProperty("low_freq_factor", LLAMA3_SCALING.lowFreqFactor());
        scaling.addProperty("high_freq_factor", LLAMA3_SCALING.highFreqFactor());
        scaling.addProperty("original_max_position_embeddings", (int) LLAMA3_SCALING.originalMaxPositions());
        config.add("rope_scaling", scaling);
        Files.writeString(ckpt.resolve("config.json"), new Gson().toJson(config));
    }

    /** The openai-community/gpt2 tokenizer files: vocab.json with <|endoftext|> at 50256, merges.txt, no added tokens. */
    public static void writeGpt2Tokenizer(Path ckpt) throws IOException {
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
    public static SyntheticHfCheckpoint tinyWithGpt2Vocab() {
        return new SyntheticHfCheckpoint(HfArchitecture.GPT2, 2, 64, 4, 4, 256, 64, Gpt2Tokenizer.VOCAB_SIZE, true,
                SafetensorsDtype.F32, 1, 7);
    }

    /** HF GPT-2 tensors as {@link Gpt2Weights}: Conv1D [in, out] transposed to [out, in], output tied to wte. */
    public static Gpt2Weights hfAsGpt2Weights(Map<String, float[]> hf, SyntheticHfCheckpoint c) {
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
            float[] values = conv ? transpose(hf.get(h), in, out) : hf.get(h);
            return (first, dst, count) -> System.arraycopy(values, (int) first, dst, 0, count);
        };
    }
}

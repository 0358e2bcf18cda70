package dev.memdec.converter.hf;

import com.google.gson.GsonBuilder;
import dev.memdec.converter.safetensors.SafetensorsCheckpoint;
import dev.memdec.converter.safetensors.SafetensorsDtype;
import dev.memdec.converter.safetensors.SafetensorsWriter;
import dev.memdec.converter.tokenizer.ByteLevelUnicode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a random-weight HF checkpoint directory with the exact tensor names, layouts, config.json keys and
 * tokenizer files that {@code transformers} produces for the architecture, for fidelity tests and conversion
 * benchmarks. Weights are a pure function of (seed, tensor name, element index), so any element can be
 * recomputed without the file. The tokenizer is a small byte-level BPE: the 256 byte symbols, a handful of
 * merges and the family's special tokens; {@code vocabSize} beyond that exercises [PADi] padding.
 *
 * @param shards 1 writes {@code model.safetensors}; more writes {@code model-0000i-of-0000n.safetensors} and
 *               {@code model.safetensors.index.json}
 */
public record SyntheticHfCheckpoint(HfArchitecture architecture, int layers, int embd, int heads, int kvHeads, int ff,
                                    int context, int vocabSize, boolean tiedEmbeddings, SafetensorsDtype dtype, int shards,
                                    long seed) {

    /** Merges of the synthetic tokenizer, in rank order; each result becomes the next token id. */
    private static final String[][] MERGES = {
            {"Ġ", "t"}, {"h", "e"}, {"i", "n"}, {"Ġ", "a"}, {"e", "r"}, {"Ġt", "he"}, {"o", "n"}, {"Ġ", "s"},
            {"e", "d"}, {"in", "g"}, {"Ġ", "w"}, {"o", "r"}};

    /** 2 layers, 64 wide, GQA 4:2 for qwen2/llama, a vocabulary padded past its 271 real tokens; tied for qwen2 only. */
    public static SyntheticHfCheckpoint tiny(HfArchitecture architecture) {
        return switch (architecture) {
            case GPT2 -> new SyntheticHfCheckpoint(architecture, 2, 64, 4, 4, 256, 64, 300, true, SafetensorsDtype.F32, 1, 42);
            case QWEN2 -> new SyntheticHfCheckpoint(architecture, 2, 64, 4, 2, 96, 128, 300, true, SafetensorsDtype.F32, 1, 42);
            case LLAMA -> new SyntheticHfCheckpoint(architecture, 2, 64, 4, 2, 96, 128, 300, false, SafetensorsDtype.F32, 1, 42);
        };
    }

    /** The GPT-2-small shape (124M parameters, about 0.5 GB as F32), for benchmarks. */
    public static SyntheticHfCheckpoint gpt2Small() {
        return new SyntheticHfCheckpoint(HfArchitecture.GPT2, 12, 768, 12, 12, 3072, 1024, 50257, true, SafetensorsDtype.F32, 1, 42);
    }

    public SyntheticHfCheckpoint withDtype(SafetensorsDtype d) {
        return new SyntheticHfCheckpoint(architecture, layers, embd, heads, kvHeads, ff, context, vocabSize, tiedEmbeddings, d, shards, seed);
    }

    public SyntheticHfCheckpoint withShards(int n) {
        return new SyntheticHfCheckpoint(architecture, layers, embd, heads, kvHeads, ff, context, vocabSize, tiedEmbeddings, dtype, n, seed);
    }

    public int headDim() {
        return embd / heads;
    }

    /** Every HF tensor with its PyTorch shape, in state_dict order. */
    public Map<String, long[]> tensorShapes() {
        Map<String, long[]> t = new LinkedHashMap<>();
        long e = embd;
        if (architecture == HfArchitecture.GPT2) {
            String p = "transformer.";
            t.put(p + "wte.weight", new long[] {vocabSize, e});
            t.put(p + "wpe.weight", new long[] {context, e});
            for (int i = 0; i < layers; i++) {
                String h = p + "h." + i + ".";
                t.put(h + "ln_1.weight", new long[] {e});
                t.put(h + "ln_1.bias", new long[] {e});
                t.put(h + "attn.bias", new long[] {1, 1, context, context});
                t.put(h + "attn.c_attn.weight", new long[] {e, 3 * e});
                t.put(h + "attn.c_attn.bias", new long[] {3 * e});
                t.put(h + "attn.c_proj.weight", new long[] {e, e});
                t.put(h + "attn.c_proj.bias", new long[] {e});
                t.put(h + "ln_2.weight", new long[] {e});
                t.put(h + "ln_2.bias", new long[] {e});
                t.put(h + "mlp.c_fc.weight", new long[] {e, ff});
                t.put(h + "mlp.c_fc.bias", new long[] {ff});
                t.put(h + "mlp.c_proj.weight", new long[] {ff, e});
                t.put(h + "mlp.c_proj.bias", new long[] {e});
            }
            t.put(p + "ln_f.weight", new long[] {e});
            t.put(p + "ln_f.bias", new long[] {e});
            if (!tiedEmbeddings) {
                t.put("lm_head.weight", new long[] {vocabSize, e});
            }
            return t;
        }
        long q = (long) heads * headDim();
        long kv = (long) kvHeads * headDim();
        boolean biases = architecture == HfArchitecture.QWEN2;
        t.put("model.embed_tokens.weight", new long[] {vocabSize, e});
        for (int i = 0; i < layers; i++) {
            String h = "model.layers." + i + ".";
            t.put(h + "self_attn.q_proj.weight", new long[] {q, e});
            if (biases) {
                t.put(h + "self_attn.q_proj.bias", new long[] {q});
            }
            t.put(h + "self_attn.k_proj.weight", new long[] {kv, e});
            if (biases) {
                t.put(h + "self_attn.k_proj.bias", new long[] {kv});
            }
            t.put(h + "self_attn.v_proj.weight", new long[] {kv, e});
            if (biases) {
                t.put(h + "self_attn.v_proj.bias", new long[] {kv});
            }
            t.put(h + "self_attn.o_proj.weight", new long[] {e, q});
            t.put(h + "mlp.gate_proj.weight", new long[] {ff, e});
            t.put(h + "mlp.up_proj.weight", new long[] {ff, e});
            t.put(h + "mlp.down_proj.weight", new long[] {e, ff});
            t.put(h + "input_layernorm.weight", new long[] {e});
            t.put(h + "post_attention_layernorm.weight", new long[] {e});
        }
        t.put("model.norm.weight", new long[] {e});
        if (!tiedEmbeddings) {
            t.put("lm_head.weight", new long[] {vocabSize, e});
        }
        return t;
    }

    /**
     * Element {@code index} of tensor {@code name} before dtype rounding: uniform noise scaled like an
     * initialised network (unit-variance embeddings, 1/sqrt(fan-in) matrices, norms near 1, small biases), and
     * the lower-triangular ones of GPT-2's causal-mask buffer.
     */
    public float value(String name, long[] shape, long index) {
        if (name.endsWith(".attn.bias")) {
            long c = shape[3];
            return (index % c) <= (index / c) % c ? 1f : 0f;
        }
        long z = seed * 0x9E3779B97F4A7C15L + name.hashCode() * 0xC2B2AE3D27D4EB4FL + index * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        float u = (z >>> 40) / (float) (1L << 23) - 1f; // uniform in [-1, 1)
        boolean norm = name.contains("ln_") || name.contains("layernorm") || name.endsWith("norm.weight");
        if (norm) {
            return name.endsWith(".bias") ? 0.1f * u : 1f + 0.2f * u;
        }
        if (shape.length == 1) {
            return 0.1f * u;
        }
        boolean embedding = name.contains("wte") || name.contains("wpe") || name.contains("embed_tokens");
        if (embedding) {
            return 1.7f * u;
        }
        // HF Linear is [out, in]; GPT-2 Conv1D is [in, out]
        long fanIn = architecture == HfArchitecture.GPT2 && !name.equals("lm_head.weight") ? shape[0] : shape[1];
        return (float) (1.7 * u / Math.sqrt(fanIn));
    }

    /** Writes config.json, the safetensors weights and the tokenizer files into {@code dir} (created if needed). */
    public void writeTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        SyntheticTokenizer tokenizer = new SyntheticTokenizer();
        writeJson(dir.resolve(HfConfig.FILE_NAME), config(tokenizer));
        writeWeights(dir);
        tokenizer.write(dir);
    }

    private void writeWeights(Path dir) throws IOException {
        List<Map.Entry<String, long[]>> all = new ArrayList<>(tensorShapes().entrySet());
        if (shards == 1) {
            weights(all).write(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE));
            return;
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        long totalSize = 0;
        for (int s = 0; s < shards; s++) {
            List<Map.Entry<String, long[]>> part = all.subList(s * all.size() / shards, (s + 1) * all.size() / shards);
            String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            weights(part).write(dir.resolve(file));
            for (Map.Entry<String, long[]> e : part) {
                weightMap.put(e.getKey(), file);
                long n = dtype.byteSize();
                for (long d : e.getValue()) {
                    n *= d;
                }
                totalSize += n;
            }
        }
        writeJson(dir.resolve(SafetensorsCheckpoint.INDEX_FILE), Map.of("metadata", Map.of("total_size", totalSize), "weight_map", weightMap));
    }

    private SafetensorsWriter weights(List<Map.Entry<String, long[]>> tensors) {
        SafetensorsWriter w = new SafetensorsWriter();
        for (Map.Entry<String, long[]> e : tensors) {
            String name = e.getKey();
            long[] shape = e.getValue();
            w.add(name, dtype, shape, (first, dst, count) -> {
                for (int i = 0; i < count; i++) {
                    dst[i] = value(name, shape, first + i);
                }
            });
        }
        return w;
    }

    private Map<String, Object> config(SyntheticTokenizer tokenizer) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of(architecture.hfClass()));
        c.put("model_type", architecture.ggufArchitecture());
        c.put("vocab_size", vocabSize);
        c.put("bos_token_id", tokenizer.bos());
        c.put("eos_token_id", tokenizer.eos());
        c.put("tie_word_embeddings", tiedEmbeddings);
        c.put("torch_dtype", dtype == SafetensorsDtype.F32 ? "float32" : dtype == SafetensorsDtype.F16 ? "float16" : "bfloat16");
        if (architecture == HfArchitecture.GPT2) {
            c.put("n_embd", embd);
            c.put("n_layer", layers);
            c.put("n_head", heads);
            c.put("n_positions", context);
            c.put("n_ctx", context);
            c.put("n_inner", ff == 4 * embd ? null : ff);
            c.put("layer_norm_epsilon", 1e-5);
            c.put("activation_function", "gelu_new");
        } else {
            c.put("hidden_size", embd);
            c.put("intermediate_size", ff);
            c.put("num_hidden_layers", layers);
            c.put("num_attention_heads", heads);
            c.put("num_key_value_heads", kvHeads);
            c.put("max_position_embeddings", context);
            c.put("hidden_act", "silu");
            c.put("rms_norm_eps", architecture == HfArchitecture.QWEN2 ? 1e-6 : 1e-5);
            c.put("rope_theta", architecture == HfArchitecture.QWEN2 ? 1_000_000.0 : 500_000.0);
            c.put("rope_scaling", null);
            if (architecture == HfArchitecture.LLAMA) {
                c.put("attention_bias", false);
                c.put("mlp_bias", false);
            }
        }
        return c;
    }

    private static void writeJson(Path file, Object value) throws IOException {
        Files.writeString(file, new GsonBuilder().serializeNulls().setPrettyPrinting().disableHtmlEscaping().create().toJson(value),
                StandardCharsets.UTF_8);
    }

    /** The byte-level BPE tokenizer files for {@link #architecture}. */
    private final class SyntheticTokenizer {
        private final Map<String, Integer> vocab = new LinkedHashMap<>();
        private final List<String> specials;

        SyntheticTokenizer() {
            for (int b = 0; b < 256; b++) {
                vocab.put(String.valueOf(ByteLevelUnicode.charOf(b)), b);
            }
            for (String[] m : MERGES) {
                vocab.putIfAbsent(m[0] + m[1], vocab.size());
            }
            specials = switch (architecture) {
                case GPT2 -> List.of("<|endoftext|>");
                case QWEN2 -> List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
                case LLAMA -> List.of("<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>");
            };
        }

        int specialId(int i) {
            return vocab.size() + i;
        }

        int bos() {
            return specialId(0);
        }

        int eos() {
            return architecture == HfArchitecture.LLAMA ? specialId(2) : specialId(0);
        }

        void write(Path dir) throws IOException {
            Map<String, Object> tokenizerConfig = new LinkedHashMap<>();
            Map<String, Object> decoder = new LinkedHashMap<>();
            List<Object> added = new ArrayList<>();
            for (int i = 0; i < specials.size(); i++) {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("id", specialId(i));
                t.put("content", specials.get(i));
                t.put("single_word", false);
                t.put("lstrip", false);
                t.put("rstrip", false);
                t.put("normalized", false);
                t.put("special", true);
                added.add(t);
                Map<String, Object> d = new LinkedHashMap<>(t);
                d.remove("id");
                decoder.put(Integer.toString(specialId(i)), d);
            }
            tokenizerConfig.put("added_tokens_decoder", decoder);
            tokenizerConfig.put("bos_token", architecture == HfArchitecture.QWEN2 ? null : specials.get(0));
            tokenizerConfig.put("eos_token", specials.get(architecture == HfArchitecture.LLAMA ? 2 : 0));
            tokenizerConfig.put("model_max_length", context);
            if (architecture == HfArchitecture.GPT2) {
                // the layout of openai-community/gpt2: vocab.json with <|endoftext|> inside, merges.txt with a version line
                Map<String, Integer> withEot = new LinkedHashMap<>(vocab);
                withEot.put(specials.getFirst(), specialId(0));
                writeJson(dir.resolve(HfTokenizerReader.VOCAB_JSON), withEot);
                StringBuilder merges = new StringBuilder("#version: 0.2\n");
                for (String[] m : MERGES) {
                    merges.append(m[0]).append(' ').append(m[1]).append('\n');
                }
                Files.writeString(dir.resolve(HfTokenizerReader.MERGES_TXT), merges, StandardCharsets.UTF_8);
                writeJson(dir.resolve(HfTokenizerReader.TOKENIZER_CONFIG), tokenizerConfig);
                return;
            }
            String regex = architecture == HfArchitecture.LLAMA ? HfTokenizerReader.LLAMA3_REGEX
                    : "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("type", "BPE");
            model.put("dropout", null);
            model.put("unk_token", null);
            model.put("byte_fallback", false);
            model.put("ignore_merges", architecture == HfArchitecture.LLAMA);
            model.put("vocab", vocab);
            // qwen2 in the older "a b" string form, llama in the transformers >= 4.45 pair form
            model.put("merges", java.util.Arrays.stream(MERGES)
                    .map(m -> architecture == HfArchitecture.LLAMA ? (Object) List.of(m[0], m[1]) : m[0] + " " + m[1]).toList());
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("version", "1.0");
            root.put("added_tokens", added);
            root.put("normalizer", null);
            root.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", List.of(
                    Map.of("type", "Split", "pattern", Map.of("Regex", regex), "behavior", "Isolated", "invert", false),
                    Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", false, "use_regex", false))));
            root.put("model", model);
            writeJson(dir.resolve(HfTokenizerReader.TOKENIZER_JSON), root);
            if (architecture == HfArchitecture.QWEN2) {
                tokenizerConfig.put("pad_token", specials.getFirst());
                tokenizerConfig.put("add_bos_token", false);
            }
            writeJson(dir.resolve(HfTokenizerReader.TOKENIZER_CONFIG), tokenizerConfig);
        }
    }
}

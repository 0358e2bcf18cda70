package dev.memdec.converter.hf;

import dev.memdec.converter.gguf.FloatSource;
import dev.memdec.converter.gguf.GgufWriter;
import dev.memdec.converter.safetensors.SafetensorsTensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static dev.memdec.converter.hf.CheckpointTensors.ne;

/**
 * {@code Qwen2ForCausalLM} → {@code qwen2} and {@code LlamaForCausalLM} → {@code llama} (gguf-spec §3). Both are
 * pre-RMSNorm decoders with rotary attention, GQA and a SwiGLU MLP whose {@code nn.Linear} weights need no
 * transpose. They differ in three places: llama's Q/K rows (and biases) are permuted from HF's half-split
 * rotary layout to ggml's adjacent pairs, qwen2 requires q/k/v biases and forbids an o_proj bias, and tied
 * embeddings simply omit {@code output.weight}. Llama-3.1-style {@code rope_scaling} becomes the
 * {@code rope_freqs.weight} tensor ({@link Llama3RopeScaling}); other scalings are refused.
 */
final class RopeDecoderLayout implements ModelLayout {

    /** HF defaults when config.json omits the key (LlamaConfig / Qwen2Config). */
    private static final double DEFAULT_ROPE_THETA = 10_000.0;

    private final HfArchitecture architecture;
    private final int embd;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int ff;
    private final int vocab;
    private final int context;
    private final float rmsEpsilon;
    private final float ropeTheta;
    private final List<PlannedTensor> tensors = new ArrayList<>();

    RopeDecoderLayout(HfArchitecture architecture, HfConfig config, CheckpointTensors in) {
        this.architecture = architecture;
        embd = config.positiveInt("hidden_size");
        layers = config.positiveInt("num_hidden_layers");
        heads = config.positiveInt("num_attention_heads");
        kvHeads = config.optionalInt("num_key_value_heads").orElse(heads);
        ff = config.positiveInt("intermediate_size");
        vocab = config.positiveInt("vocab_size");
        context = config.positiveInt("max_position_embeddings");
        rmsEpsilon = (float) config.number("rms_norm_eps");
        ropeTheta = config.optionalNumber("rope_theta").orElse(DEFAULT_ROPE_THETA).floatValue();
        headDim = config.optionalInt("head_dim").orElseGet(() -> {
            if (embd % heads != 0) {
                throw new IllegalArgumentException(config.file() + ": hidden_size " + embd + " is not a multiple of num_attention_heads " + heads);
            }
            return embd / heads;
        });
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(config.file() + ": num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException(config.file() + ": head_dim " + headDim + " is odd; rotary embeddings need pairs");
        }
        if (architecture == HfArchitecture.QWEN2 && headDim * heads != embd) {
            throw new IllegalArgumentException(config.file() + ": qwen2 in llama.cpp needs num_attention_heads * head_dim == hidden_size, got "
                    + heads + " * " + headDim + " != " + embd);
        }
        Optional<Llama3RopeScaling> ropeScaling = Llama3RopeScaling.of(config, architecture);
        boolean tied = config.optionalBoolean("tie_word_embeddings").orElse(false);
        in.skip(name -> name.endsWith("rotary_emb.inv_freq"));

        long qRows = (long) heads * headDim;
        long kvRows = (long) kvHeads * headDim;
        SafetensorsTensor embed = in.require("model.embed_tokens.weight", vocab, embd);
        add("token_embd.weight", embed);
        add("output_norm.weight", in.require("model.norm.weight", embd));
        if (tied) {
            in.optional("lm_head.weight", vocab, embd); // HF ignores a stored copy when tied; so does llama.cpp
        } else {
            add("output.weight", in.require("lm_head.weight", vocab, embd));
        }
        boolean llama = architecture == HfArchitecture.LLAMA;
        ropeScaling.ifPresent(r -> {
            float[] divisors = r.frequencyDivisors(ropeTheta, headDim);
            tensors.add(new PlannedTensor("rope_freqs.weight", new long[] {divisors.length},
                    (first, dst, count) -> System.arraycopy(divisors, (int) first, dst, 0, count)));
        });
        for (int i = 0; i < layers; i++) {
            String h = "model.layers." + i + ".";
            String b = "blk." + i + ".";
            add(b + "attn_norm.weight", in.require(h + "input_layernorm.weight", embd));
            addRope(b + "attn_q.weight", in.require(h + "self_attn.q_proj.weight", qRows, embd), heads, llama);
            addRope(b + "attn_k.weight", in.require(h + "self_attn.k_proj.weight", kvRows, embd), kvHeads, llama);
            add(b + "attn_v.weight", in.require(h + "self_attn.v_proj.weight", kvRows, embd));
            Optional<SafetensorsTensor> qBias = biasOf(in, h + "self_attn.q_proj.bias", qRows);
            Optional<SafetensorsTensor> kBias = biasOf(in, h + "self_attn.k_proj.bias", kvRows);
            Optional<SafetensorsTensor> vBias = biasOf(in, h + "self_attn.v_proj.bias", kvRows);
            qBias.ifPresent(t -> addRope(b + "attn_q.bias", t, heads, llama));
            kBias.ifPresent(t -> addRope(b + "attn_k.bias", t, kvHeads, llama));
            vBias.ifPresent(t -> add(b + "attn_v.bias", t));
            add(b + "attn_output.weight", in.require(h + "self_attn.o_proj.weight", embd, qRows));
            if (llama) {
                in.optional(h + "self_attn.o_proj.bias", embd).ifPresent(t -> add(b + "attn_output.bias", t));
            }
            add(b + "ffn_norm.weight", in.require(h + "post_attention_layernorm.weight", embd));
            add(b + "ffn_gate.weight", in.require(h + "mlp.gate_proj.weight", ff, embd));
            add(b + "ffn_up.weight", in.require(h + "mlp.up_proj.weight", ff, embd));
            add(b + "ffn_down.weight", in.require(h + "mlp.down_proj.weight", embd, ff));
        }
    }

    /** qwen2 requires all three attention biases (llama.cpp fails to load without them); llama takes them if present. */
    private Optional<SafetensorsTensor> biasOf(CheckpointTensors in, String name, long rows) {
        return architecture == HfArchitecture.QWEN2 ? Optional.of(in.require(name, rows)) : in.optional(name, rows);
    }

    private void add(String name, SafetensorsTensor t) {
        tensors.add(new PlannedTensor(name, ne(t.shape()), TensorSources.asStored(t)));
    }

    private void addRope(String name, SafetensorsTensor t, int headCount, boolean permute) {
        FloatSource values = permute ? TensorSources.ropePermuted(t, headCount) : TensorSources.asStored(t);
        tensors.add(new PlannedTensor(name, ne(t.shape()), values));
    }

    @Override
    public HfArchitecture architecture() {
        return architecture;
    }

    @Override
    public int vocabRows() {
        return vocab;
    }

    @Override
    public void writeHyperParameters(GgufWriter w) {
        String a = architecture.ggufArchitecture();
        w.putUInt32(a + ".context_length", context);
        w.putUInt32(a + ".embedding_length", embd);
        w.putUInt32(a + ".block_count", layers);
        w.putUInt32(a + ".feed_forward_length", ff);
        w.putUInt32(a + ".attention.head_count", heads);
        w.putUInt32(a + ".attention.head_count_kv", kvHeads);
        w.putFloat32(a + ".attention.layer_norm_rms_epsilon", rmsEpsilon);
        w.putFloat32(a + ".rope.freq_base", ropeTheta);
        w.putUInt32(a + ".rope.dimension_count", headDim);
        if ((long) headDim * heads != embd) {
            w.putUInt32(a + ".attention.key_length", headDim);
            w.putUInt32(a + ".attention.value_length", headDim);
        }
        if (architecture == HfArchitecture.LLAMA) {
            w.putUInt32(a + ".vocab_size", vocab);
        }
    }

    @Override
    public List<PlannedTensor> tensors() {
        return tensors;
    }
}

package dev.memdec.converter.hf;

import dev.memdec.converter.family.DecoderFamily;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.family.llama.LlamaFamily;
import dev.memdec.converter.family.qwen2.Qwen2Family;
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
 * {@code rope_freqs.weight} tensor ({@link Llama3RopeScaling}); other scalings are refused. The llama.cpp side
 * (shape rules, hyper-parameter keys) is the family's: {@link LlamaFamily}, {@link Qwen2Family}.
 */
final class RopeDecoderLayout implements ModelLayout {

    /** HF default when config.json omits the key (LlamaConfig / Qwen2Config). */
    private static final double DEFAULT_ROPE_THETA = RopeDecoderConfig.DEFAULT_ROPE_THETA;

    private final HfArchitecture architecture;
    private final DecoderFamily family;
    private final RopeDecoderConfig shape;
    private final List<PlannedTensor> tensors = new ArrayList<>();

    RopeDecoderLayout(HfArchitecture architecture, HfConfig config, CheckpointTensors in) {
        this.architecture = architecture;
        family = architecture == HfArchitecture.LLAMA ? LlamaFamily.INSTANCE : Qwen2Family.INSTANCE;
        int embd = config.positiveInt("hidden_size");
        int layers = config.positiveInt("num_hidden_layers");
        int heads = config.positiveInt("num_attention_heads");
        int kvHeads = config.optionalInt("num_key_value_heads").orElse(heads);
        int ff = config.positiveInt("intermediate_size");
        int vocab = config.positiveInt("vocab_size");
        int context = config.positiveInt("max_position_embeddings");
        float rmsEpsilon = (float) config.number("rms_norm_eps");
        float ropeTheta = config.optionalNumber("rope_theta").orElse(DEFAULT_ROPE_THETA).floatValue();
        int headDim = config.optionalInt("head_dim").orElseGet(() -> {
            if (embd % heads != 0) {
                throw new IllegalArgumentException(config.file() + ": hidden_size " + embd + " is not a multiple of num_attention_heads " + heads);
            }
            return embd / heads;
        });
        boolean tied = config.optionalBoolean("tie_word_embeddings").orElse(false);
        try {
            shape = new RopeDecoderConfig(layers, embd, heads, kvHeads, headDim, ff, vocab, context, rmsEpsilon, ropeTheta, tied, 0);
            family.check(shape);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(config.file() + ": " + e.getMessage(), e);
        }
        Optional<Llama3RopeScaling> ropeScaling = Llama3RopeScaling.of(config, architecture);
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
        return shape.vocab();
    }

    @Override
    public void writeHyperParameters(GgufWriter w) {
        family.writeHyperParameters(shape, w);
    }

    @Override
    public List<PlannedTensor> tensors() {
        return tensors;
    }
}

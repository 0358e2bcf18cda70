package dev.memdec.converter.hf;

import dev.memdec.converter.gguf.GgufWriter;
import dev.memdec.converter.safetensors.SafetensorsTensor;

import java.util.ArrayList;
import java.util.List;

import static dev.memdec.converter.hf.CheckpointTensors.ne;

/**
 * {@code GPT2LMHeadModel} → llama.cpp {@code gpt2} (gguf-spec §2): Conv1D weights ({@code c_attn},
 * {@code c_proj}, {@code c_fc}) transposed to [out, in], the causal-mask buffers {@code attn.bias} /
 * {@code attn.masked_bias} skipped, and {@code output.weight} always written (a copy of {@code wte} unless the
 * checkpoint has its own {@code lm_head.weight}) because runtimes before llama.cpp PR #12456 require it.
 * Accepts both the {@code transformer.}-prefixed names of saved models and the bare names of openai-community/gpt2.
 */
final class Gpt2Layout implements ModelLayout {

    /** HF GPT2Config default, used when config.json omits it. */
    private static final double DEFAULT_LAYER_NORM_EPSILON = 1e-5;

    private final int embd;
    private final int layers;
    private final int heads;
    private final int ff;
    private final int context;
    private final int vocab;
    private final float epsilon;
    private final List<PlannedTensor> tensors = new ArrayList<>();

    Gpt2Layout(HfConfig config, CheckpointTensors in) {
        embd = config.positiveInt("n_embd");
        layers = config.positiveInt("n_layer");
        heads = config.positiveInt("n_head");
        vocab = config.positiveInt("vocab_size");
        context = config.optionalInt("n_positions").orElseGet(() -> config.positiveInt("n_ctx"));
        ff = config.optionalInt("n_inner").orElse(4 * embd);
        epsilon = config.optionalNumber("layer_norm_epsilon").orElse(DEFAULT_LAYER_NORM_EPSILON).floatValue();
        if (embd % heads != 0) {
            throw new IllegalArgumentException(config.file() + ": n_embd " + embd + " is not a multiple of n_head " + heads);
        }
        String p = in.has("transformer.wte.weight") ? "transformer." : "";
        in.skip(name -> name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias"));

        SafetensorsTensor wte = in.require(p + "wte.weight", vocab, embd);
        add("token_embd.weight", wte);
        add("position_embd.weight", in.require(p + "wpe.weight", context, embd));
        add("output_norm.weight", in.require(p + "ln_f.weight", embd));
        add("output_norm.bias", in.require(p + "ln_f.bias", embd));
        add("output.weight", in.optional("lm_head.weight", vocab, embd).orElse(wte));
        for (int i = 0; i < layers; i++) {
            String h = p + "h." + i + ".";
            String b = "blk." + i + ".";
            add(b + "attn_norm.weight", in.require(h + "ln_1.weight", embd));
            add(b + "attn_norm.bias", in.require(h + "ln_1.bias", embd));
            addConv1D(b + "attn_qkv.weight", in.require(h + "attn.c_attn.weight", embd, 3L * embd));
            add(b + "attn_qkv.bias", in.require(h + "attn.c_attn.bias", 3L * embd));
            addConv1D(b + "attn_output.weight", in.require(h + "attn.c_proj.weight", embd, embd));
            add(b + "attn_output.bias", in.require(h + "attn.c_proj.bias", embd));
            add(b + "ffn_norm.weight", in.require(h + "ln_2.weight", embd));
            add(b + "ffn_norm.bias", in.require(h + "ln_2.bias", embd));
            addConv1D(b + "ffn_up.weight", in.require(h + "mlp.c_fc.weight", embd, ff));
            add(b + "ffn_up.bias", in.require(h + "mlp.c_fc.bias", ff));
            addConv1D(b + "ffn_down.weight", in.require(h + "mlp.c_proj.weight", ff, embd));
            add(b + "ffn_down.bias", in.require(h + "mlp.c_proj.bias", embd));
        }
    }

    private void add(String name, SafetensorsTensor t) {
        tensors.add(new PlannedTensor(name, ne(t.shape()), TensorSources.asStored(t)));
    }

    /** Conv1D [in, out] is written as the Linear [out, in] matrix, i.e. ne = {in, out}. */
    private void addConv1D(String name, SafetensorsTensor t) {
        tensors.add(new PlannedTensor(name, new long[] {t.dim(0), t.dim(1)}, TensorSources.transposed(t)));
    }

    @Override
    public HfArchitecture architecture() {
        return HfArchitecture.GPT2;
    }

    @Override
    public int vocabRows() {
        return vocab;
    }

    @Override
    public void writeHyperParameters(GgufWriter w) {
        w.putUInt32("gpt2.context_length", context);
        w.putUInt32("gpt2.embedding_length", embd);
        w.putUInt32("gpt2.block_count", layers);
        w.putUInt32("gpt2.feed_forward_length", ff);
        w.putUInt32("gpt2.attention.head_count", heads);
        w.putFloat32("gpt2.attention.layer_norm_epsilon", epsilon);
    }

    @Override
    public List<PlannedTensor> tensors() {
        return tensors;
    }
}

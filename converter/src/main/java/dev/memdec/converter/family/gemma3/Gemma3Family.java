package dev.memdec.converter.family.gemma3;

import static dev.memdec.converter.family.TensorSpec.blk;

import dev.memdec.converter.family.DecoderTensors;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.family.RopeDecoderFamily;
import dev.memdec.converter.family.RopeStyle;
import dev.memdec.converter.family.TensorSpec;
import dev.memdec.converter.gguf.GgufWriter;
import java.util.List;

/**
 * llama.cpp's {@code gemma3} ({@code src/models/gemma3.cpp}; HF {@code Gemma3ForCausalLM}): per-head Q/K RMSNorms, an
 * RMSNorm after attention ({@code attn_post_norm}) and after the MLP ({@code ffn_post_norm}) besides the usual
 * pre-norms, GELU-gated MLP with the same gate/up/down tensors, token embeddings scaled by sqrt(embd) inside the graph
 * (no key), output tied to the embedding as in every Gemma, NEOX rotary pairs, and sliding-window attention on five
 * of every six layers: {@code gemma3.attention.sliding_window} is required (b4916 reads it unconditionally).
 * GGUF norm gains are stored with Gemma's +1 already applied.
 */
public final class Gemma3Family extends RopeDecoderFamily {

    public static final Gemma3Family INSTANCE = new Gemma3Family();
    public static final String ARCH = "gemma3";
    public static final String HF_CLASS = "Gemma3ForCausalLM";
    /** Gemma 3 1B's window, used when a caller has no better value (capped at the context). */
    public static final int DEFAULT_SLIDING_WINDOW = 512;
    /**
     * Layers a gemma3 file needs: llama.cpp makes every sixth layer global (the others slide), and b4916 crashes the
     * process on the first decode of a file without a global layer (it fills the global mask, which no layer used,
     * so it was never allocated; measured with memdec's own files, 1 to 5 layers crash, 6 run).
     */
    public static final int MIN_LAYERS = 6;

    private Gemma3Family() {
        super(ARCH, RopeStyle.NEOX);
    }

    @Override
    public void check(RopeDecoderConfig c) {
        if (c.layers() < MIN_LAYERS) {
            throw new IllegalArgumentException("layers: gemma3 needs at least " + MIN_LAYERS + " (five sliding-window layers,"
                    + " then a global one; llama.cpp b4916 crashes on a file without a global layer), got " + c.layers());
        }
        if (c.slidingWindow() < 1) {
            throw new IllegalArgumentException("sliding_window: gemma3 needs a positive sliding window, got " + c.slidingWindow());
        }
    }

    @Override
    public void writeHyperParameters(RopeDecoderConfig c, GgufWriter w) {
        super.writeHyperParameters(c, w);
        w.putUInt32(ARCH + ".attention.sliding_window", c.slidingWindow());
    }

    @Override
    protected void addBlock(RopeDecoderConfig c, int layer, List<TensorSpec> out) {
        DecoderTensors.attention(c, layer, false, out);
        DecoderTensors.qkNorms(c, layer, out);
        out.add(new TensorSpec(blk(layer, "post_attention_norm.weight"), new long[] {c.embd()}));
        DecoderTensors.swiGlu(c, layer, out);
        out.add(new TensorSpec(blk(layer, "post_ffw_norm.weight"), new long[] {c.embd()}));
    }
}

package dev.memdec.converter.family.phi3;

import static dev.memdec.converter.family.TensorSpec.blk;

import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.family.RopeDecoderFamily;
import dev.memdec.converter.family.RopeStyle;
import dev.memdec.converter.family.TensorSpec;
import dev.memdec.converter.gguf.GgufWriter;
import java.util.List;

/**
 * llama.cpp's {@code phi3} ({@code src/models/phi3.cpp}; HF {@code Phi3ForCausalLM}): one fused projection
 * {@code attn_qkv} ({embd, q + 2·kv rows}: queries, then keys, then values), {@code attn_output} {embd, embd} (so
 * {@code heads * head_dim == embd}), and one fused {@code ffn_up} {embd, 2·ff} holding the gate rows then the up rows
 * of its SwiGLU, {@code ffn_down} {ff, embd}; NEOX rotary pairs; no biases. Long-context rope factors are optional
 * and not written. {@code phi3.attention.sliding_window} is always written: b4916 refuses a phi3 file without it
 * ("invalid value for sliding_window"); v0.5.0 reads it and disables Phi's SWA. With no window in the config it is
 * the context length, i.e. full attention.
 */
public final class Phi3Family extends RopeDecoderFamily {

    public static final Phi3Family INSTANCE = new Phi3Family();
    public static final String ARCH = "phi3";
    public static final String HF_CLASS = "Phi3ForCausalLM";

    private Phi3Family() {
        super(ARCH, RopeStyle.NEOX);
    }

    @Override
    public void check(RopeDecoderConfig c) {
        if (c.qRows() != c.embd()) {
            throw new IllegalArgumentException("head_dim: phi3 in llama.cpp needs heads * head_dim == embd, got "
                    + c.heads() + " * " + c.headDim() + " != " + c.embd());
        }
    }

    @Override
    public void writeHyperParameters(RopeDecoderConfig c, GgufWriter w) {
        super.writeHyperParameters(c, w);
        w.putUInt32(ARCH + ".attention.sliding_window", c.slidingWindow() > 0 ? c.slidingWindow() : c.ctx());
    }

    @Override
    protected void addBlock(RopeDecoderConfig c, int layer, List<TensorSpec> out) {
        out.add(new TensorSpec(blk(layer, "attn_norm.weight"), new long[] {c.embd()}));
        out.add(new TensorSpec(blk(layer, "attn_qkv.weight"), new long[] {c.embd(), c.qRows() + 2 * c.kvRows()}));
        out.add(new TensorSpec(blk(layer, "attn_output.weight"), new long[] {c.qRows(), c.embd()}));
        out.add(new TensorSpec(blk(layer, "ffn_norm.weight"), new long[] {c.embd()}));
        out.add(new TensorSpec(blk(layer, "ffn_up.weight"), new long[] {c.embd(), 2L * c.ff()}));
        out.add(new TensorSpec(blk(layer, "ffn_down.weight"), new long[] {c.ff(), c.embd()}));
    }
}

package dev.memdec.converter.family.qwen3;

import dev.memdec.converter.family.DecoderTensors;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.family.RopeDecoderFamily;
import dev.memdec.converter.family.RopeStyle;
import dev.memdec.converter.family.TensorSpec;
import java.util.List;

/**
 * llama.cpp's {@code qwen3} ({@code src/models/qwen3.cpp}; HF {@code Qwen3ForCausalLM}): Q/K/V without biases,
 * per-head RMSNorm of queries and keys before the rotation ({@code attn_q_norm}, {@code attn_k_norm}, {head_dim}),
 * SwiGLU, NEOX rotary pairs. head_dim is free ({@code key_length}); llama.cpp b4916 does not know the family.
 */
public final class Qwen3Family extends RopeDecoderFamily {

    public static final Qwen3Family INSTANCE = new Qwen3Family();
    public static final String ARCH = "qwen3";
    public static final String HF_CLASS = "Qwen3ForCausalLM";

    private Qwen3Family() {
        super(ARCH, RopeStyle.NEOX);
    }

    @Override
    protected void addBlock(RopeDecoderConfig c, int layer, List<TensorSpec> out) {
        DecoderTensors.attention(c, layer, false, out);
        DecoderTensors.qkNorms(c, layer, out);
        DecoderTensors.swiGlu(c, layer, out);
    }
}

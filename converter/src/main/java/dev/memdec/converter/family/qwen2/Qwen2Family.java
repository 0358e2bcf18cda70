package dev.memdec.converter.family.qwen2;

import dev.memdec.converter.family.DecoderTensors;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.family.RopeDecoderFamily;
import dev.memdec.converter.family.RopeStyle;
import dev.memdec.converter.family.TensorSpec;
import java.util.List;

/**
 * llama.cpp's {@code qwen2} (HF {@code Qwen2ForCausalLM}): like llama but with required Q/K/V biases (llama.cpp fails
 * to load without them), NEOX rotary pairs, and {@code heads * head_dim == embd} (its graph reshapes by n_embd).
 */
public final class Qwen2Family extends RopeDecoderFamily {

    public static final Qwen2Family INSTANCE = new Qwen2Family();
    public static final String ARCH = "qwen2";
    /** The HF class it imports from. */
    public static final String HF_CLASS = "Qwen2ForCausalLM";

    private Qwen2Family() {
        super(ARCH, RopeStyle.NEOX);
    }

    @Override
    public void check(RopeDecoderConfig c) {
        if (c.qRows() != c.embd()) {
            throw new IllegalArgumentException("head_dim: qwen2 in llama.cpp needs heads * head_dim == embd, got "
                    + c.heads() + " * " + c.headDim() + " != " + c.embd());
        }
    }

    @Override
    protected void addBlock(RopeDecoderConfig c, int layer, List<TensorSpec> out) {
        DecoderTensors.attention(c, layer, true, out);
        DecoderTensors.swiGlu(c, layer, out);
    }
}

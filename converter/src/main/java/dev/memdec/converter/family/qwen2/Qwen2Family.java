package dev.memdec.converter.family.qwen2;

import dev.memdec.converter.family.DecoderFamily;
import dev.memdec.converter.family.DecoderTensors;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.family.RopeStyle;
import dev.memdec.converter.family.TensorSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * llama.cpp's {@code qwen2} (HF {@code Qwen2ForCausalLM}): like llama but with required Q/K/V biases (llama.cpp fails
 * to load without them), NEOX rotary pairs, and {@code heads * head_dim == embd} (its graph reshapes by n_embd).
 */
public final class Qwen2Family implements DecoderFamily {

    public static final Qwen2Family INSTANCE = new Qwen2Family();
    public static final String ARCH = "qwen2";
    /** The HF class it imports from. */
    public static final String HF_CLASS = "Qwen2ForCausalLM";

    private Qwen2Family() {
    }

    @Override
    public String architecture() {
        return ARCH;
    }

    @Override
    public RopeStyle ropeStyle() {
        return RopeStyle.NEOX;
    }

    @Override
    public void check(RopeDecoderConfig c) {
        if (c.qRows() != c.embd()) {
            throw new IllegalArgumentException("head_dim: qwen2 in llama.cpp needs heads * head_dim == embd, got "
                    + c.heads() + " * " + c.headDim() + " != " + c.embd());
        }
    }

    @Override
    public List<TensorSpec> tensors(RopeDecoderConfig c) {
        List<TensorSpec> out = new ArrayList<>();
        DecoderTensors.embeddingAndHead(c, out);
        for (int i = 0; i < c.layers(); i++) {
            DecoderTensors.attention(c, i, true, out);
            DecoderTensors.swiGlu(c, i, out);
        }
        return out;
    }
}

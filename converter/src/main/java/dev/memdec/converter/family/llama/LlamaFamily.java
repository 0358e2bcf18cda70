package dev.memdec.converter.family.llama;

import dev.memdec.converter.family.DecoderFamily;
import dev.memdec.converter.family.DecoderTensors;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.family.RopeStyle;
import dev.memdec.converter.family.TensorSpec;
import dev.memdec.converter.gguf.GgufWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * llama.cpp's {@code llama} (HF {@code LlamaForCausalLM}): separate Q/K/V without biases, SwiGLU, adjacent-pair rotary
 * embedding (HF's half-split Q/K rows are permuted on import), {@code llama.vocab_size} written explicitly.
 */
public final class LlamaFamily implements DecoderFamily {

    public static final LlamaFamily INSTANCE = new LlamaFamily();
    public static final String ARCH = "llama";
    /** The HF class it imports from. */
    public static final String HF_CLASS = "LlamaForCausalLM";

    private LlamaFamily() {
    }

    @Override
    public String architecture() {
        return ARCH;
    }

    @Override
    public RopeStyle ropeStyle() {
        return RopeStyle.NORM;
    }

    @Override
    public void check(RopeDecoderConfig c) {
        // llama.cpp's llama takes any head_dim (key_length) and any GQA ratio
    }

    @Override
    public void writeHyperParameters(RopeDecoderConfig c, GgufWriter w) {
        DecoderFamily.super.writeHyperParameters(c, w);
        w.putUInt32(ARCH + ".vocab_size", c.vocab());
    }

    @Override
    public List<TensorSpec> tensors(RopeDecoderConfig c) {
        List<TensorSpec> out = new ArrayList<>();
        DecoderTensors.embeddingAndHead(c, out);
        for (int i = 0; i < c.layers(); i++) {
            DecoderTensors.attention(c, i, false, out);
            DecoderTensors.swiGlu(c, i, out);
        }
        return out;
    }
}

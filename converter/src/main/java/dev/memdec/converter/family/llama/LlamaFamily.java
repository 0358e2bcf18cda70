package dev.memdec.converter.family.llama;

import dev.memdec.converter.family.DecoderTensors;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.family.RopeDecoderFamily;
import dev.memdec.converter.family.RopeStyle;
import dev.memdec.converter.family.TensorSpec;
import dev.memdec.converter.gguf.GgufWriter;
import java.util.List;

/**
 * llama.cpp's {@code llama} (HF {@code LlamaForCausalLM}): separate Q/K/V without biases, SwiGLU, adjacent-pair rotary
 * embedding (HF's half-split Q/K rows are permuted on import), {@code llama.vocab_size} written explicitly.
 */
public final class LlamaFamily extends RopeDecoderFamily {

    public static final LlamaFamily INSTANCE = new LlamaFamily();
    public static final String ARCH = "llama";
    /** The HF class it imports from. */
    public static final String HF_CLASS = "LlamaForCausalLM";

    private LlamaFamily() {
        super(ARCH, RopeStyle.NORM);
    }

    @Override
    public void writeHyperParameters(RopeDecoderConfig c, GgufWriter w) {
        super.writeHyperParameters(c, w);
        w.putUInt32(ARCH + ".vocab_size", c.vocab());
    }

    @Override
    protected void addBlock(RopeDecoderConfig c, int layer, List<TensorSpec> out) {
        DecoderTensors.attention(c, layer, false, out);
        DecoderTensors.swiGlu(c, layer, out);
    }
}

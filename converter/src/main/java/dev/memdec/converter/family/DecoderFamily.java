package dev.memdec.converter.family;

import dev.memdec.converter.gguf.GgufWriter;
import java.util.List;

/**
 * What llama.cpp expects of one model family's GGUF: the architecture name, the shape constraints, the hyper-parameter
 * keys and the exact tensor set (names, shapes, order). One implementation per family, each in its own package; they
 * are looked up by name in {@link DecoderFamilies}. {@link DecoderGgufWriter} writes a file from one of them.
 */
public interface DecoderFamily {

    /** {@code general.architecture}, e.g. {@code qwen3}. */
    String architecture();

    /** How its rotary embedding pairs dimensions; a forward pass of this family must rotate the same way. */
    RopeStyle ropeStyle();

    /**
     * Refuses a shape llama.cpp would not load for this family (beyond what {@link RopeDecoderConfig} checks).
     *
     * @throws IllegalArgumentException naming the field
     */
    void check(RopeDecoderConfig c);

    /** Every {@code <architecture>.*} key llama.cpp reads for this family. */
    default void writeHyperParameters(RopeDecoderConfig c, GgufWriter w) {
        String a = architecture();
        w.putUInt32(a + ".context_length", c.ctx());
        w.putUInt32(a + ".embedding_length", c.embd());
        w.putUInt32(a + ".block_count", c.layers());
        w.putUInt32(a + ".feed_forward_length", c.ff());
        w.putUInt32(a + ".attention.head_count", c.heads());
        w.putUInt32(a + ".attention.head_count_kv", c.kvHeads());
        w.putFloat32(a + ".attention.layer_norm_rms_epsilon", c.rmsEps());
        w.putFloat32(a + ".rope.freq_base", c.ropeTheta());
        w.putUInt32(a + ".rope.dimension_count", c.headDim());
        if (c.qRows() != c.embd()) {
            w.putUInt32(a + ".attention.key_length", c.headDim());
            w.putUInt32(a + ".attention.value_length", c.headDim());
        }
    }

    /** The tensors of a file of shape {@code c}, in writing order. */
    List<TensorSpec> tensors(RopeDecoderConfig c);
}

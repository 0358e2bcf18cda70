package dev.memdec.converter.family;

import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
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

    /**
     * The inverse of {@link #writeHyperParameters}: the shape of a GGUF of this family, with llama.cpp's defaults for
     * the optional keys ({@code head_count_kv} = heads, {@code key_length} = embd / heads, {@code rope.freq_base}
     * 10000), the vocabulary from the rows of {@code token_embd}, tied when there is no {@code output.weight}.
     *
     * @throws IllegalArgumentException naming the file and the key that is missing or does not fit
     */
    default RopeDecoderConfig readHyperParameters(GgufFile f) {
        String a = architecture() + ".";
        if (!architecture().equals(f.architecture())) {
            throw new IllegalArgumentException(f.name() + ": general.architecture is '" + f.architecture()
                    + "', expected '" + architecture() + "'");
        }
        GgufTensorInfo embd = f.tensor(DecoderTensors.TOKEN_EMBD).orElseThrow(() -> new IllegalArgumentException(
                f.name() + ": no tensor '" + DecoderTensors.TOKEN_EMBD + "'"));
        int width = uint32(f, a + "embedding_length");
        int heads = uint32(f, a + "attention.head_count");
        int headDim;
        if (f.find(a + "attention.key_length").isPresent()) {
            headDim = uint32(f, a + "attention.key_length");
        } else if (heads > 0 && width % heads == 0) {
            headDim = width / heads;
        } else {
            throw new IllegalArgumentException(f.name() + ": " + a + "embedding_length " + width + " is not a multiple of "
                    + a + "attention.head_count " + heads + " and there is no " + a + "attention.key_length");
        }
        for (String key : List.of("attention.value_length", "rope.dimension_count")) {
            if (f.find(a + key).isPresent() && uint32(f, a + key) != headDim) {
                throw new IllegalArgumentException(f.name() + ": " + a + key + " " + uint32(f, a + key)
                        + " differs from the head dimension " + headDim);
            }
        }
        int kvHeads = f.find(a + "attention.head_count_kv").isPresent() ? uint32(f, a + "attention.head_count_kv") : heads;
        float theta = f.find(a + "rope.freq_base").isPresent() ? f.getFloat32(a + "rope.freq_base")
                : RopeDecoderConfig.DEFAULT_ROPE_THETA;
        try {
            RopeDecoderConfig c = new RopeDecoderConfig(uint32(f, a + "block_count"), width, heads, kvHeads, headDim,
                    uint32(f, a + "feed_forward_length"), Math.toIntExact(embd.ne()[1]), uint32(f, a + "context_length"),
                    f.getFloat32(a + "attention.layer_norm_rms_epsilon"), theta,
                    f.tensor(DecoderTensors.OUTPUT).isEmpty(), 0);
            check(c);
            return c;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith(f.name()) ? e.getMessage()
                    : f.name() + ": " + e.getMessage(), e);
        }
    }

    private static int uint32(GgufFile f, String key) {
        long v = f.getUInt32(key);
        if (v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(f.name() + ": " + key + " = " + v + " is too large");
        }
        return (int) v;
    }

    /** The tensors of a file of shape {@code c}, in writing order. */
    List<TensorSpec> tensors(RopeDecoderConfig c);
}

package dev.memdec.trainer.model.llama;

import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.gguf.GgufValue;
import dev.memdec.trainer.model.LmConfig;
import dev.memdec.trainer.model.TensorSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads the shape and tensors of a llama, qwen2 or qwen3 GGUF for the DJL model. */
public final class RopeLmGguf {

    private RopeLmGguf() {
    }

    /**
     * The shape of {@code f}: hyper-parameters from its {@code <arch>.*} keys (llama.cpp's defaults where a key
     * is optional), vocabulary from the rows of {@code token_embd.weight}, tied when it has no {@code output.weight}.
     *
     * @throws IllegalArgumentException naming the key or tensor that is missing or does not fit
     */
    public static RopeLmConfig config(GgufFile f) {
        RopeFamily family = RopeFamily.of(f.architecture());
        String a = family.architecture() + ".";
        GgufTensorInfo embd = f.tensor("token_embd.weight").orElseThrow(() -> new IllegalArgumentException(
                f.name() + ": no tensor 'token_embd.weight'"));
        int width = uint(f, a + "embedding_length");
        int heads = uint(f, a + "attention.head_count");
        int kvHeads = optionalUint(f, a + "attention.head_count_kv").orElse(heads);
        int headDim = optionalUint(f, a + "attention.key_length").orElseGet(() -> {
            if (width % heads != 0) {
                throw new IllegalArgumentException(f.name() + ": " + a + "embedding_length " + width
                        + " is not a multiple of " + a + "attention.head_count " + heads + " and there is no key_length");
            }
            return width / heads;
        });
        optionalUint(f, a + "attention.value_length").filter(v -> v != headDim).ifPresent(v -> {
            throw new IllegalArgumentException(f.name() + ": " + a + "attention.value_length " + v
                    + " differs from key_length " + headDim + "; the trainer's attention needs them equal");
        });
        optionalUint(f, a + "rope.dimension_count").filter(v -> v != headDim).ifPresent(v -> {
            throw new IllegalArgumentException(f.name() + ": " + a + "rope.dimension_count " + v
                    + " is not the head dimension " + headDim + "; the trainer rotates whole heads");
        });
        float eps = f.getFloat32(a + "attention.layer_norm_rms_epsilon");
        float theta = f.find(a + "rope.freq_base").map(GgufValue::asFloat32).orElse(RopeLmConfig.DEFAULT_ROPE_THETA);
        List<Float> factors = new ArrayList<>();
        f.tensor("rope_freqs.weight").ifPresent(t -> {
            for (float v : f.readFloats(t)) {
                factors.add(v);
            }
        });
        boolean tied = f.tensor("output.weight").isEmpty();
        try {
            return new RopeLmConfig(family, uint(f, a + "block_count"), width, heads, kvHeads, headDim,
                    uint(f, a + "feed_forward_length"), uint(f, a + "context_length"), Math.toIntExact(embd.ne()[1]),
                    eps, theta, tied, factors);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(f.name() + ": " + e.getMessage(), e);
        }
    }

    /** The tensors of {@code f} for a model of {@code config} (quantized tensors are dequantized). */
    public static TensorSource tensors(GgufFile f, RopeLmConfig config) {
        for (String unused : List.of("attn_output.bias", "ffn_gate.bias", "ffn_up.bias", "ffn_down.bias")) {
            if (f.tensor(RopeLmConfig.blk(0, unused)).isPresent()) {
                throw new IllegalArgumentException(f.name() + ": has tensor " + RopeLmConfig.blk(0, unused)
                        + ", which the trainer's " + config.architecture() + " model does not have");
            }
        }
        return (name, shape) -> {
            GgufTensorInfo t = f.tensor(name).orElseThrow(() -> new IllegalArgumentException(
                    f.name() + ": no tensor '" + name + "' (required by " + config.architecture() + ")"));
            if (t.elementCount() != LmConfig.count(shape)) {
                throw new IllegalArgumentException(f.name() + ": tensor '" + name + "' has " + t.elementCount()
                        + " elements, expected " + LmConfig.count(shape) + " for this " + config.architecture() + " shape");
            }
            return f.readFloats(t);
        };
    }

    private static int uint(GgufFile f, String key) {
        long v = f.getUInt32(key);
        if (v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(f.name() + ": " + key + " = " + v + " is too large");
        }
        return (int) v;
    }

    private static Optional<Integer> optionalUint(GgufFile f, String key) {
        return f.find(key).isPresent() ? Optional.of(uint(f, key)) : Optional.empty();
    }
}

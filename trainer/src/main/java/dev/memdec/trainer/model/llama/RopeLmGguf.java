package dev.memdec.trainer.model.llama;

import dev.memdec.converter.family.DecoderFamilies;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.trainer.model.LmConfig;
import dev.memdec.trainer.model.TensorSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Reads a llama, qwen2 or qwen3 GGUF for the DJL model: its shape (by its family), rope scaling and tensors. */
public final class RopeLmGguf {

    private RopeLmGguf() {
    }

    /**
     * The shape of {@code f}, read by its family ({@link dev.memdec.converter.family.DecoderFamily#readHyperParameters}),
     * with {@code rope_freqs.weight} as the rope scaling when present.
     *
     * @throws IllegalArgumentException naming the file and the key or tensor that is missing or does not fit
     */
    public static RopeLmConfig config(GgufFile f) {
        String arch = f.architecture();
        if (!RopeLmConfig.TRAINABLE.contains(arch)) {
            throw new IllegalArgumentException(f.name() + ": general.architecture '" + arch
                    + "' is not one the trainer can train (gpt2, llama, qwen2, qwen3)");
        }
        RopeDecoderConfig decoder = DecoderFamilies.byName(arch).orElseThrow().readHyperParameters(f);
        List<Float> factors = new ArrayList<>();
        f.tensor(RopeLmConfig.ROPE_FREQS).ifPresent(t -> {
            for (float v : f.readFloats(t)) {
                factors.add(v);
            }
        });
        try {
            return new RopeLmConfig(arch, decoder, factors);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(f.name() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The tensors of {@code f} for a model of {@code config} (quantized tensors are dequantized).
     *
     * @throws IllegalArgumentException when the file holds a tensor the family's list does not have (an extra bias
     *     the trainer's graph would silently drop)
     */
    public static TensorSource tensors(GgufFile f, RopeLmConfig config) {
        Set<String> known = new HashSet<>(config.trainableTensors().keySet());
        known.add(RopeLmConfig.ROPE_FREQS);
        for (GgufTensorInfo t : f.tensors()) {
            if (!known.contains(t.name())) {
                throw new IllegalArgumentException(f.name() + ": tensor '" + t.name() + "' is not part of a "
                        + config.architecture() + " model as the trainer computes it");
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
}

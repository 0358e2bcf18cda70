package dev.memdec.trainer.model.llama;

import dev.memdec.converter.family.DecoderFamilies;
import dev.memdec.converter.family.DecoderGgufWriter;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.tokenizer.GgufTokenizer;
import dev.memdec.trainer.model.LmConfig;
import dev.memdec.trainer.model.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A llama, qwen2 or qwen3 GGUF and the DJL model: its shape (read by its family), rope scaling and tensors in, the
 * trained model out through the family's {@link DecoderGgufWriter}.
 */
public final class RopeLmGguf {

    private RopeLmGguf() {
    }

    /**
     * Writes {@code model} atomically as a GGUF of its family carrying {@code tokenizer}, with {@code rope_freqs} when
     * it has rope scaling.
     *
     * @throws IllegalArgumentException when the tokenizer's size is not the model's vocabulary or the type cannot
     *     be written
     */
    public static void write(RopeLm model, GgufTokenizer tokenizer, GgmlType type, Map<String, String> meta, Path out)
            throws IOException {
        RopeLmConfig c = model.spec();
        Map<String, float[]> values = new HashMap<>();
        model.parameters().keySet().forEach(name -> values.put(name, model.values(name)));
        DecoderGgufWriter.write(c.family(), c.decoder(), c.ropeFreqFactors().isEmpty() ? null : c.ropeFreqFactorArray(),
                tokenizer, name -> {
                    float[] v = values.get(name);
                    if (v == null) {
                        throw new IllegalArgumentException("no tensor '" + name + "' in this " + c.architecture() + " model");
                    }
                    return (first, dst, count) -> System.arraycopy(v, Math.toIntExact(first), dst, 0, count);
                }, type, meta, out);
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

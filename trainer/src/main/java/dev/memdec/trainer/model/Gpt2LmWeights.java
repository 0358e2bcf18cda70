package dev.memdec.trainer.model;

import dev.memdec.converter.gguf.FloatSource;
import dev.memdec.converter.gpt2.Gpt2Tensors;
import dev.memdec.converter.gpt2.Gpt2Weights;
import java.util.HashMap;
import java.util.Map;

/**
 * A snapshot of a {@link Gpt2Lm}'s parameters as {@link Gpt2Weights} for the converter's exporter and reference
 * model. The parameters are already in GGUF element order; {@code output.weight} is the tied token embedding.
 */
public final class Gpt2LmWeights implements Gpt2Weights {

    private final Map<String, float[]> values = new HashMap<>();

    public Gpt2LmWeights(Gpt2Lm model) {
        for (String name : model.parameters().keySet()) {
            values.put(name, model.values(name));
        }
        values.put(Gpt2Tensors.OUTPUT, values.get(Gpt2Tensors.TOKEN_EMBD));
    }

    @Override
    public FloatSource tensor(String ggufName) {
        float[] v = values.get(ggufName);
        if (v == null) {
            throw new IllegalArgumentException("no gpt2 tensor named '" + ggufName + "' in this model");
        }
        return (first, dst, count) -> System.arraycopy(v, Math.toIntExact(first), dst, 0, count);
    }
}

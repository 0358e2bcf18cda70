package dev.memdec.converter.family;

import dev.memdec.converter.gguf.FloatSource;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Seeded random weights for any family's tensor list, generated on demand with the same counter-based generator as
 * {@link RandomGpt2Weights} (element i is a pure function of seed, name and i): matrices N(0, 0.02), norm gains
 * 1 + N(0, 0.05), biases N(0, 0.02).
 */
public final class RandomDecoderWeights implements DecoderWeights {

    private static final double WEIGHT_STD = 0.02;
    private static final double GAIN_STD = 0.05;

    private final long seed;
    private final Map<String, TensorSpec> specs = new HashMap<>();

    public RandomDecoderWeights(List<TensorSpec> tensors, long seed) {
        this.seed = seed;
        tensors.forEach(t -> specs.put(t.name(), t));
    }

    @Override
    public FloatSource tensor(String ggufName) {
        TensorSpec spec = specs.get(ggufName);
        if (spec == null) {
            throw new IllegalArgumentException("'" + ggufName + "' is not a tensor of this model");
        }
        long stream = RandomGpt2Weights.stream(seed, ggufName);
        long count = spec.elementCount();
        double mean = ggufName.endsWith("norm.weight") ? 1 : 0;
        double std = ggufName.endsWith("norm.weight") ? GAIN_STD : WEIGHT_STD;
        return (first, dst, n) -> {
            if (first < 0 || n < 0 || first + n > count) {
                throw new IndexOutOfBoundsException("tensor '" + ggufName + "': elements [" + first + ", "
                        + (first + n) + ") outside [0, " + count + ")");
            }
            for (int k = 0; k < n; k++) {
                dst[k] = (float) (mean + std * RandomGpt2Weights.gaussian(stream, first + k));
            }
        };
    }
}

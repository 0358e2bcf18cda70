package dev.memdec.converter.mlp;

import dev.memdec.converter.gguf.FloatSource;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Seeded random MLP-memory parameters, generated on demand with {@link RandomGpt2Weights}' counter-based normal
 * generator: matrices N(0, 0.02), norm gains 1 + N(0, 0.05), biases N(0, 0.02) (not all zero or one, so a bug in
 * how they are applied shows).
 */
public final class RandomMlpWeights implements Function<String, FloatSource> {

    private final long seed;
    private final Map<String, MlpMemoryTensors.Spec> specs = new HashMap<>();

    public RandomMlpWeights(MlpMemoryConfig config, long seed) {
        this.seed = seed;
        for (MlpMemoryTensors.Spec s : MlpMemoryTensors.of(config)) {
            specs.put(s.name(), s);
        }
    }

    @Override
    public FloatSource apply(String name) {
        MlpMemoryTensors.Spec spec = specs.get(name);
        if (spec == null) {
            throw new IllegalArgumentException("'" + name + "' is not a tensor of this MLP memory");
        }
        long stream = RandomGpt2Weights.stream(seed, name);
        double mean = name.endsWith("norm.weight") ? 1 : 0;
        double std = name.endsWith("norm.weight") ? 0.05 : 0.02;
        long count = spec.elementCount();
        return (first, dst, n) -> {
            if (first < 0 || n < 0 || first + n > count) {
                throw new IndexOutOfBoundsException("tensor '" + name + "': elements [" + first + ", " + (first + n)
                        + ") outside [0, " + count + ")");
            }
            for (int k = 0; k < n; k++) {
                dst[k] = (float) (mean + std * RandomGpt2Weights.gaussian(stream, first + k));
            }
        };
    }
}

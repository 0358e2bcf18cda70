package dev.memdec.converter.gpt2;

import dev.memdec.converter.gguf.FloatSource;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Seeded random GPT-2 parameters, generated on demand so that even GPT-2-medium never sits on the heap.
 *
 * <p>Element {@code i} of a tensor is a pure function of (seed, tensor name, i): a counter-based generator
 * (SplitMix64 over the element index, Box–Muller on pairs of elements) so any range can be read in any
 * order, by any number of readers, with identical results.
 *
 * <p>Distribution: weight matrices and the token embedding N(0, 0.02) and the position embedding N(0, 0.01)
 * as in GPT-2's initialisation. Unlike a fresh GPT-2, LayerNorm gains are 1 + N(0, 0.05) and every bias
 * (LayerNorm and linear) is N(0, 0.02): a model whose biases are all zero and gains all one would hide
 * bugs in how they are applied or oriented, and the small perturbation costs nothing for training.
 */
public final class RandomGpt2Weights implements Gpt2Weights {

    private static final double WEIGHT_STD = 0.02;
    private static final double POSITION_STD = 0.01;
    private static final double GAIN_STD = 0.05;
    private static final double BIAS_STD = 0.02;
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private final long seed;
    private final Map<String, Gpt2Tensors.Spec> specs = new HashMap<>();

    public RandomGpt2Weights(Gpt2Config config, long seed) {
        this.seed = seed;
        for (Gpt2Tensors.Spec s : Gpt2Tensors.of(config)) {
            specs.put(s.name(), s);
        }
    }

    @Override
    public FloatSource tensor(String ggufName) {
        Gpt2Tensors.Spec spec = specs.get(ggufName);
        if (spec == null) {
            throw new IllegalArgumentException("'" + ggufName + "' is not a tensor of this gpt2 model");
        }
        // Tied head: the output matrix is the token embedding, element for element.
        String name = ggufName.equals(Gpt2Tensors.OUTPUT) ? Gpt2Tensors.TOKEN_EMBD : ggufName;
        long stream = stream(seed, name);
        long count = spec.elementCount();
        double mean;
        double std;
        if (name.endsWith("norm.weight")) {
            mean = 1;
            std = GAIN_STD;
        } else if (name.endsWith(".bias")) {
            mean = 0;
            std = BIAS_STD;
        } else if (name.equals(Gpt2Tensors.POSITION_EMBD)) {
            mean = 0;
            std = POSITION_STD;
        } else {
            mean = 0;
            std = WEIGHT_STD;
        }
        return (first, dst, n) -> {
            if (first < 0 || n < 0 || first + n > count) {
                throw new IndexOutOfBoundsException("tensor '" + ggufName + "': elements [" + first + ", "
                        + (first + n) + ") outside [0, " + count + ")");
            }
            for (int k = 0; k < n; k++) {
                dst[k] = (float) (mean + std * gaussian(stream, first + k));
            }
        };
    }

    /** The generator stream of one tensor of one seed; with {@link #gaussian} any seeded random tensor. */
    public static long stream(long seed, String tensorName) {
        return mix(seed ^ fnv1a(tensorName));
    }

    /**
     * The standard normal for element {@code index}: elements 2j and 2j+1 are the cosine and sine halves of
     * one Box–Muller pair drawn from two SplitMix64 outputs of counter j.
     */
    public static double gaussian(long stream, long index) {
        long pair = index >>> 1;
        long a = mix(stream + (2 * pair + 1) * GOLDEN_GAMMA);
        long b = mix(stream + (2 * pair + 2) * GOLDEN_GAMMA);
        double u1 = ((a >>> 11) + 1) * 0x1.0p-53;   // (0, 1]: log is finite
        double u2 = (b >>> 11) * 0x1.0p-53;
        double r = Math.sqrt(-2 * Math.log(u1));
        double angle = 2 * Math.PI * u2;
        return r * ((index & 1) == 0 ? Math.cos(angle) : Math.sin(angle));
    }

    /** SplitMix64's finaliser (Steele, Lea, Flood 2014). */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long fnv1a(String s) {
        long h = 0xCBF29CE484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xFF)) * 0x100000001B3L;
        }
        return h;
    }
}

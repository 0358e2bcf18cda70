package dev.memdec.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

/**
 * What every family's DJL forward shares: parameters drawn from a {@link TensorSource}, the reference's seeded
 * initialisation, the causal mask, RMSNorm and SwiGLU.
 */
public final class ModelTensors {

    private static final float MASKED = -1e9f;

    private ModelTensors() {
    }

    /**
     * A model built in a new sub-manager of {@code parent} over the tensors of {@code shapes} read from
     * {@code source}; the sub-manager is closed when reading or building fails.
     *
     * @throws IllegalArgumentException when the source returns a tensor of the wrong size
     */
    public static <M> M build(NDManager parent, Map<String, long[]> shapes, TensorSource source,
                              BiFunction<NDManager, Map<String, NDArray>, M> model) {
        NDManager manager = parent.newSubManager();
        try {
            return model.apply(manager, load(manager, shapes, source));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * One owned NDArray per tensor of {@code shapes}, named by its GGUF name, in {@code manager}.
     *
     * @throws IllegalArgumentException when the source returns a tensor of the wrong size
     */
    private static Map<String, NDArray> load(NDManager manager, Map<String, long[]> shapes, TensorSource source) {
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> t : shapes.entrySet()) {
            float[] values = source.read(t.getKey(), t.getValue());
            long expected = LmConfig.count(t.getValue());
            if (values.length != expected) {
                throw new IllegalArgumentException("tensor " + t.getKey() + ": expected " + expected
                        + " values for shape " + new Shape(t.getValue()) + ", got " + values.length);
            }
            NDArray p = OwnedArrays.floats(manager, values, new Shape(t.getValue()));
            p.setName(t.getKey());
            params.put(t.getKey(), p);
        }
        return params;
    }

    /**
     * The reference's initialisation (GPT-2's, HF {@code init_weights}), seeded, for a model of {@code layers}
     * residual blocks: norm gains 1, other weights N(0, 0.02), the residual output projections ({@code attn_output},
     * {@code ffn_down}) N(0, 0.02/√(2·layers)), biases 0. The same seed gives the same values on every machine.
     */
    public static TensorSource referenceInit(long seed, int layers) {
        SplittableRandom random = new SplittableRandom(seed);
        double residualStd = 0.02 / Math.sqrt(2.0 * layers);
        return (name, dims) -> {
            float[] v = new float[Math.toIntExact(LmConfig.count(dims))];
            if (name.endsWith("norm.weight")) {
                Arrays.fill(v, 1f);
            } else if (name.endsWith(".weight")) {
                double std = name.endsWith("attn_output.weight") || name.endsWith("ffn_down.weight") ? residualStd : 0.02;
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (random.nextGaussian() * std);
                }
            }
            return v;
        };
    }

    /** llama.cpp's RMSNorm over the last axis: x / √(mean(x²) + ε) · weight ({@code eps} a model constant). */
    public static NDArray rmsNorm(NDArray x, NDArray weight, NDArray eps) {
        NDArray meanSquare = x.mul(x).mean(new int[] {-1}, true);
        return x.div(meanSquare.add(eps).sqrt()).mul(weight);
    }

    /** SwiGLU's gated product silu(gate)·up. */
    public static NDArray swiglu(NDArray gate, NDArray up) {
        return gate.mul(Activation.sigmoid(gate)).mul(up);
    }

    /** Additive mask [T, T]: 0 where key position ≤ query position, −1e9 elsewhere (no tril in DJL). */
    public static NDArray causalMask(NDManager m, long seq) {
        NDArray r = m.arange(0, (int) seq, 1, DataType.INT64);
        NDArray allowed = r.reshape(seq, 1).gte(r.reshape(1, seq)).toType(DataType.FLOAT32, false);
        return allowed.sub(1f).mul(-MASKED);
    }

    /** The GGUF {@code ne} of a tensor reversed: PyTorch's shape with the same element order. */
    public static long[] torchShape(long[] ne) {
        long[] shape = new long[ne.length];
        for (int i = 0; i < ne.length; i++) {
            shape[i] = ne[ne.length - 1 - i];
        }
        return shape;
    }

    /** Checks that a token batch is [batch, 1..ctx]. */
    public static void checkTokens(NDArray tokens, int ctx) {
        Shape in = tokens.getShape();
        if (in.dimension() != 2 || in.get(1) > ctx || in.get(1) < 1) {
            throw new IllegalArgumentException("tokens: expected shape [batch, 1.." + ctx + "], got " + in);
        }
    }
}

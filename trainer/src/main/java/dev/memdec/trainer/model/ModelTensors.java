package dev.memdec.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/** What every family's DJL forward shares: parameters drawn from a {@link TensorSource}, the causal mask. */
public final class ModelTensors {

    private static final float MASKED = -1e9f;

    private ModelTensors() {
    }

    /**
     * One owned NDArray per tensor of {@code shapes}, named by its GGUF name, in {@code manager}.
     *
     * @throws IllegalArgumentException when the source returns a tensor of the wrong size
     */
    public static Map<String, NDArray> load(NDManager manager, Map<String, long[]> shapes, TensorSource source) {
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

package dev.memdec.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model {@link dev.memdec.trainer.train.TrainingRun} trains and validates: a GPT-2 LM reading tokens
 * ({@link Gpt2Lm}) or an MLP memory reading the host's hidden states ({@link MlpLm}). Parameters are keyed by their
 * GGUF tensor names and hold PyTorch row-major values (= GGUF element order).
 */
public interface TrainableModel extends AutoCloseable {

    /** The trainable tensors by GGUF name. */
    Map<String, NDArray> parameters();

    /** The current values of tensor {@code name} in PyTorch row-major order. */
    default float[] values(String name) {
        NDArray p = parameters().get(name);
        if (p == null) {
            throw new IllegalArgumentException("no tensor named " + name);
        }
        return p.toFloatArray();
    }

    /** Marks every parameter as requiring gradients (training) or not (evaluation of a frozen model). */
    default void setTrainable(boolean trainable) {
        for (NDArray p : parameters().values()) {
            p.setRequiresGradient(trainable);
        }
    }

    /** The PyTorch shape of a GGUF tensor of dimensions {@code ne}: reversed, so both element orders agree. */
    static long[] torchShape(long[] ne) {
        long[] shape = new long[ne.length];
        for (int i = 0; i < ne.length; i++) {
            shape[i] = ne[ne.length - 1 - i];
        }
        return shape;
    }

    /**
     * The tensors {@code shapes} (name → PyTorch shape, in order) with values from {@code source}, each named, in
     * {@code manager} (the model's own).
     *
     * @throws IllegalArgumentException when the source returns a tensor of the wrong size
     */
    static Map<String, NDArray> load(NDManager manager, Map<String, long[]> shapes, Gpt2Lm.TensorSource source) {
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> t : shapes.entrySet()) {
            float[] values = source.read(t.getKey(), t.getValue());
            long expected = Gpt2Lm.count(t.getValue());
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

    /** Output rows: the vocabulary length. */
    int vocab();

    /**
     * Next-token logits [N, vocab] at a batch's scored positions, in its row order. Intermediates live in the
     * manager of {@code tokens}.
     *
     * @param tokens INT64 [B, T] token ids
     * @param rows   INT64 [N] flat index b·T + t of each scored position
     * @param keys   FLOAT32 [N, width] the host's hidden state at each scored position, or null when the batch has none
     */
    NDArray scoredLogits(NDArray tokens, NDArray rows, NDArray keys);

    @Override
    void close();
}

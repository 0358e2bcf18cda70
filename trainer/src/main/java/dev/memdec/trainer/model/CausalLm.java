package dev.memdec.trainer.model;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * A causal LM on DJL's PyTorch engine whose parameters are keyed by their GGUF tensor names, so a checkpoint
 * exports without renaming. The training loop, checkpoints and perplexity see models only through this.
 */
public interface CausalLm extends AutoCloseable {

    /** The shape this model was built from; {@code create} on it with {@link #asSource()} gives a copy. */
    LmConfig spec();

    /** The trainable tensors by GGUF name, in {@link LmConfig#trainableTensors()} order. */
    Map<String, NDArray> parameters();

    /**
     * Next-token logits [B, T, vocab] for token ids [B, T] (INT64). Intermediates live in the manager of
     * {@code tokens}, so closing that manager frees them.
     */
    NDArray forward(NDArray tokens);

    /** The current values of tensor {@code name} in PyTorch row-major order. */
    default float[] values(String name) {
        NDArray p = parameters().get(name);
        if (p == null) {
            throw new IllegalArgumentException("no tensor named " + name);
        }
        return p.toFloatArray();
    }

    /** This model's current values as the initial values of another (a copy of each tensor). */
    default TensorSource asSource() {
        return (name, dims) -> values(name);
    }

    /** Marks every parameter as requiring gradients (training) or not (evaluation of a frozen host). */
    default void setTrainable(boolean trainable) {
        for (NDArray p : parameters().values()) {
            p.setRequiresGradient(trainable);
        }
    }

    @Override
    void close();
}

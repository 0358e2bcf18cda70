package dev.memdec.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;
import java.util.Map;

/**
 * What the training loop, checkpoints and validation perplexity see of a model on DJL's PyTorch engine: its
 * parameters keyed by their GGUF tensor names (PyTorch row-major values = GGUF element order, so a checkpoint
 * exports without renaming) and its logits at a batch's scored positions. A token LM ({@link CausalLm}: GPT-2,
 * llama-shaped) computes them from the tokens; an MLP memory ({@link MlpLm}) from the host's hidden states.
 */
public interface TrainableModel extends AutoCloseable {

    /** The shape this model was built from; {@code create} on it with {@link #asSource()} gives a copy. */
    LmConfig spec();

    /** The trainable tensors by GGUF name, in {@link LmConfig#trainableTensors()} order. */
    Map<String, NDArray> parameters();

    /**
     * The final hidden states [N, width] at a batch's scored positions, in its row order: what the bias-free output
     * head {@link #outputWeight()} turns into logits. Intermediates live in the manager of {@code tokens} (of
     * {@code keys} for a model that reads no tokens).
     *
     * @param tokens INT64 [B, T] token ids
     * @param rows   INT64 [N] flat index b·T + t of each scored position
     * @param keys   FLOAT32 [N, width] the host's hidden state at each scored position, or null when the batch has none
     */
    NDArray scoredHidden(NDArray tokens, NDArray rows, NDArray keys);

    /** The output head [vocab, width], a parameter (for a tied model the token embedding). */
    NDArray outputWeight();

    /** Next-token logits [N, vocab] at a batch's scored positions, in its row order: the head on {@link #scoredHidden}. */
    default NDArray scoredLogits(NDArray tokens, NDArray rows, NDArray keys) {
        return Linear.linear(scoredHidden(tokens, rows, keys), outputWeight()).singletonOrThrow();
    }

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

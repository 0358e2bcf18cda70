package dev.memdec.trainer.model;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * A model {@link dev.memdec.trainer.train.TrainingRun} trains and validates: a GPT-2 LM reading tokens
 * ({@link Gpt2Lm}) or an MLP memory reading the host's hidden states ({@link MlpLm}). Parameters are keyed by their
 * GGUF tensor names and hold PyTorch row-major values (= GGUF element order).
 */
public interface TrainableModel extends AutoCloseable {

    /** The trainable tensors by GGUF name. */
    Map<String, NDArray> parameters();

    /** The current values of tensor {@code name}. */
    float[] values(String name);

    /** Marks every parameter as requiring gradients (training) or not (evaluation). */
    void setTrainable(boolean trainable);

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

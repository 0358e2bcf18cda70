package dev.memdec.trainer.model;

import ai.djl.ndarray.NDManager;
import java.util.Map;

/**
 * What a training run needs to know of a model family's shape: how to build the DJL model, which tensors it
 * trains, how to draw seeded initial weights, and the sizes the data is checked against. Token LMs (GPT-2's
 * {@link Gpt2Lm.Spec}, the llama-shaped {@code RopeLmConfig}) and the MLP memory ({@link MlpLm.Spec}) implement it;
 * a checkpoint's {@code TrainingState} keeps each family's shape in a field of its own.
 */
public interface LmConfig {

    /** {@code general.architecture} of the exported model (llama.cpp's, or {@code memdec-mlp}). */
    String architecture();

    /** Rows of the token embedding = the tokenizer's size. */
    int vocab();

    /**
     * Longest token sequence the model reads; 0 for a model that reads no tokens (an MLP memory reads the host's
     * hidden state at each position).
     */
    int ctx();

    /**
     * Parameters counted once.
     *
     * @throws ArithmeticException when the count does not fit 64 bits (a shape read from a corrupt file)
     */
    long parameterCount();

    /** {@code LxDxH[xKV]}, as {@code --shape} spells it; {@code mlp FLAVOUR BLOCKSxWIDTH} for an MLP memory. */
    String shapeText();

    /** Every trainable tensor with its PyTorch shape (the GGUF {@code ne} reversed), in GGUF writing order. */
    Map<String, long[]> trainableTensors();

    /** Seeded initial weights: the same seed gives the same values on every machine. */
    TensorSource randomInit(long seed);

    /**
     * Builds a model whose tensors come from {@code source}, in a new sub-manager of {@code parent}.
     *
     * @throws IllegalArgumentException when the source returns a tensor of the wrong size
     */
    TrainableModel create(NDManager parent, TensorSource source);

    /** Elements of a tensor of {@code shape}. */
    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}

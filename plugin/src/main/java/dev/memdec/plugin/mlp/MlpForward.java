package dev.memdec.plugin.mlp;

/** The code that computes an MLP memory's forward: one per {@link MlpMemory.Engine}. One caller at a time. */
sealed interface MlpForward extends AutoCloseable permits GgmlMlp, JavaMlp {

    /** As {@link MlpMemory#logits(float[], int, int, float[])}, the arguments already checked. */
    void logits(float[] keys, int offset, int rows, float[] logits);

    /** Bytes of weights one forward reads, as held. */
    long weightBytes();

    /** The kernels that run, for reports: e.g. {@code "ggml (llama.cpp runtime v0.5.0, CPU)"}. */
    String kernel();

    /** Frees native memory or stops worker threads; the forward is unusable afterwards. */
    @Override
    void close();
}

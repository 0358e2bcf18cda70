package dev.memdec.trainer.model;

/** Supplies the initial values of one tensor in PyTorch row-major order (= GGUF element order). */
@FunctionalInterface
public interface TensorSource {
    float[] read(String name, long[] shape);
}

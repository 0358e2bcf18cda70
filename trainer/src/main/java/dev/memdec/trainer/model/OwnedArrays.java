package dev.memdec.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Creates NDArrays from Java data that own their memory. DJL 0.35.1's PyTorch engine wraps Java direct buffers
 * with {@code torch::from_blob}, so a tensor made from Java data points into a buffer the garbage collector may
 * free while autograd still needs it (shared/docs/dependencies.md §1.5, pitfall 1). A clone owns its storage.
 */
public final class OwnedArrays {

    private OwnedArrays() {
    }

    public static NDArray floats(NDManager manager, float[] data, Shape shape) {
        try (NDArray blob = manager.create(data, shape)) {
            return blob.duplicate();
        }
    }

    public static NDArray longs(NDManager manager, long[] data, Shape shape) {
        try (NDArray blob = manager.create(data, shape)) {
            return blob.duplicate();
        }
    }

    /** A 0-d float constant, for use in place of a Java {@code Number} operand inside a gradient collector. */
    public static NDArray scalar(NDManager manager, float value) {
        try (NDArray blob = manager.create(value)) {
            return blob.duplicate();
        }
    }
}

package dev.memdec.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * GPT-2's tanh approximation of GELU, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) ("gelu_new"; DJL's gelu is the erf
 * form), with its constants held as NDArrays of a model's manager (never Java {@code Number} operands, which corrupt
 * gradients in DJL 0.35.1, dependencies.md §1.5).
 */
final class GeluTanh {

    private final NDArray half;
    private final NDArray one;
    private final NDArray inner;
    private final NDArray cubic;

    GeluTanh(NDManager manager) {
        this.half = OwnedArrays.scalar(manager, 0.5f);
        this.one = OwnedArrays.scalar(manager, 1f);
        this.inner = OwnedArrays.scalar(manager, (float) Math.sqrt(2.0 / Math.PI));
        this.cubic = OwnedArrays.scalar(manager, 0.044715f);
    }

    NDArray apply(NDArray x) {
        NDArray u = x.add(x.mul(x).mul(x).mul(cubic)).mul(inner);
        return x.mul(half).mul(u.tanh().add(one));
    }
}

package dev.memdec.trainer.train;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's intra-op thread count. On a shared or oversubscribed CPU, OpenMP worker threads that spin while
 * waiting make each step many times slower; fewer threads than cores is then faster.
 */
public final class TorchThreads {

    private TorchThreads() {
    }

    /**
     * Sets the intra-op threads for this process.
     *
     * @throws IllegalArgumentException unless 1 ≤ threads ≤ 1024
     */
    public static void use(int threads) {
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("--threads must be in [1, 1024], got " + threads);
        }
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(threads);
    }

    public static int current() {
        Engine.getEngine("PyTorch");
        return JniUtils.getNumThreads();
    }
}

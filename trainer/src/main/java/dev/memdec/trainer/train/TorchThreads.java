package dev.memdec.trainer.train;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's intra-op thread count. On a shared or oversubscribed CPU, OpenMP worker threads that spin while
 * waiting make each step many times slower; fewer threads than cores is then faster.
 */
public final class TorchThreads {

    /** Held so that the level set on it stays in force (java.util.logging keeps loggers weakly). */
    private static final java.util.logging.Logger DJL_LOG = java.util.logging.Logger.getLogger("ai.djl");

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
        // DJL's start-up chatter (platform, CUDA probe, thread counts) is not news to a CLI user.
        DJL_LOG.setLevel(java.util.logging.Level.SEVERE);
        try {
            Engine.getEngine("PyTorch");
        } catch (EngineException e) {
            String override = System.getenv("PYTORCH_LIBRARY_PATH");
            throw new IllegalStateException("cannot load the PyTorch engine: " + e.getMessage() + (override == null ? ""
                    : " from PYTORCH_LIBRARY_PATH=" + override + " (PYTORCH_VERSION=" + System.getenv("PYTORCH_VERSION")
                    + ", PYTORCH_FLAVOR=" + System.getenv("PYTORCH_FLAVOR") + "): it must hold libtorch 2.7.1 of that "
                    + "flavor, and for cu128 the CUDA 12.8 libraries must be on LD_LIBRARY_PATH"), e);
        }
        JniUtils.setNumThreads(threads);
    }

    public static int current() {
        Engine.getEngine("PyTorch");
        return JniUtils.getNumThreads();
    }
}

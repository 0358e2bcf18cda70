package dev.memdec.trainer.train;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.cuda.CudaUtils;

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
            String flavor = bundledFlavor();
            if (flavor.startsWith("cu") && CudaUtils.getGpuCount() < 1) {
                // DJL takes a bundled CUDA libtorch only where it sees a GPU, and otherwise tries to download a CPU one
                throw new IllegalStateException("cannot load the PyTorch engine: this build bundles libtorch for CUDA ("
                        + flavor + ", MEMDEC_TORCH=" + flavor + " / -P" + flavor + "), which loads only where a GPU is "
                        + "visible, and this machine has none; build without MEMDEC_TORCH to train on the CPU", e);
            }
            String override = System.getenv("PYTORCH_LIBRARY_PATH");
            throw new IllegalStateException("cannot load the PyTorch engine: " + e.getMessage() + (override == null ? ""
                    : " from PYTORCH_LIBRARY_PATH=" + override + " (PYTORCH_VERSION=" + System.getenv("PYTORCH_VERSION")
                    + ", PYTORCH_FLAVOR=" + System.getenv("PYTORCH_FLAVOR") + "): it must hold libtorch 2.7.1 of that "
                    + "flavor, and for cu128 the CUDA 12.8 libraries must be on LD_LIBRARY_PATH"), e);
        }
        JniUtils.setNumThreads(threads);
    }

    /** The flavor of the libtorch jar on the class path (cpu, cu124, ...), or "" when none is. */
    private static String bundledFlavor() {
        java.net.URL url = TorchThreads.class.getClassLoader().getResource("native/lib/pytorch.properties");
        if (url == null) {
            return "";
        }
        java.util.Properties p = new java.util.Properties();
        try (java.io.InputStream in = url.openStream()) {
            p.load(in);
        } catch (java.io.IOException e) {
            return "";
        }
        return p.getProperty("flavor", "");
    }

    public static int current() {
        Engine.getEngine("PyTorch");
        return JniUtils.getNumThreads();
    }
}

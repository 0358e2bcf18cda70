package dev.memdec.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;

/**
 * The device of {@code --device cpu|gpu}. The default build bundles the CPU libtorch (pytorch-native-cpu 2.7.1);
 * "gpu" needs the CUDA build, which the Maven profile {@code cu124} bundles instead (PyTorch 2.5.1 for CUDA 12.4,
 * DJL 0.33.0; {@code MEMDEC_TORCH=cu124 ./memdec ...} builds with it), and a visible GPU. Every tensor of a run lives
 * in managers below the base manager made for this device.
 */
public final class TorchDevice {

    private TorchDevice() {
    }

    /**
     * Resolves a {@code --device} value.
     *
     * @throws IllegalArgumentException for a name other than cpu or gpu, and for gpu when the loaded libtorch has no
     *     CUDA support or sees no GPU
     */
    public static Device select(String name) {
        return switch (name) {
            case "cpu" -> Device.cpu();
            case "gpu" -> {
                Engine engine = Engine.getEngine("PyTorch");
                if (!engine.hasCapability(StandardCapabilities.CUDA)) {
                    throw new IllegalArgumentException("--device gpu: the PyTorch " + engine.getVersion()
                            + " engine in use is a CPU build without CUDA; build with the CUDA one: "
                            + "MEMDEC_TORCH=cu124 ./memdec ... (Maven profile -Pcu124)");
                }
                if (engine.getGpuCount() < 1) {
                    throw new IllegalArgumentException("--device gpu: the CUDA build of PyTorch " + engine.getVersion()
                            + " sees no GPU on this machine (check the driver with nvidia-smi and CUDA_VISIBLE_DEVICES), "
                            + "or train with --device cpu");
                }
                yield Device.gpu();
            }
            default -> throw new IllegalArgumentException("--device must be cpu or gpu, got '" + name + "'");
        };
    }
}

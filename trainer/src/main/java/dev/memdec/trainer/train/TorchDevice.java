package dev.memdec.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;

/**
 * The device of {@code --device cpu|gpu}. The build bundles the CPU libtorch (pytorch-native-cpu), so "gpu" works
 * only where DJL was pointed at a CUDA libtorch 2.7.1 ({@code PYTORCH_LIBRARY_PATH}, {@code PYTORCH_VERSION=2.7.1},
 * {@code PYTORCH_FLAVOR=cu128}; pytorch-jni already carries the cu128 JNI library) and a GPU is visible. Every
 * tensor of a run lives in managers below the base manager made for this device.
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
                            + " engine in use is a CPU build without CUDA. Point DJL at libtorch 2.7.1 for CUDA 12.8: "
                            + "PYTORCH_LIBRARY_PATH=<its lib directory> PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128");
                }
                if (engine.getGpuCount() < 1) {
                    throw new IllegalArgumentException("--device gpu: the CUDA build of PyTorch " + engine.getVersion()
                            + " sees no GPU (check the driver with nvidia-smi and CUDA_VISIBLE_DEVICES)");
                }
                yield Device.gpu();
            }
            default -> throw new IllegalArgumentException("--device must be cpu or gpu, got '" + name + "'");
        };
    }
}

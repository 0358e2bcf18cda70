package dev.memdec.plugin.cli;

import dev.memdec.natives.llama.ModelOptions;
import picocli.CommandLine.Option;

/** {@code --gpu-layers N}: how many layers go to the GPU of a {@code --gpu-backend} build, for every command that runs models. */
public final class GpuLayersOption {

    @Option(names = "--gpu-layers", paramLabel = "N",
            description = "Layers to offload to the GPU (default: all of them with --gpu-backend vulkan|cuda, none on "
                    + "a CPU build; a number above the layer count means all).")
    Integer layers;

    /** The count, or {@link ModelOptions#AUTO} when the flag is absent; one line naming the flag when negative. */
    int layers() {
        if (layers == null) {
            return ModelOptions.AUTO;
        }
        if (layers < 0) {
            throw new IllegalArgumentException("--gpu-layers must be >= 0, got " + layers);
        }
        return layers;
    }
}

package dev.memdec.plugin.cli;

import dev.memdec.natives.llama.GpuBackend;
import dev.memdec.natives.llama.LocalBuild;
import dev.memdec.natives.llama.RuntimeProfile;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code --runtime b4916|v0.5.0} and {@code --gpu-backend none|vulkan|cuda}: the llama.cpp build a command loads
 * models with (shared/docs/design.md, gpu.md). Mixed into every command that loads a model; they set
 * {@link RuntimeProfile#PROPERTY} and {@link GpuBackend#PROPERTY} before anything touches llama.cpp, and override
 * {@code MEMDEC_RUNTIME} and {@code MEMDEC_GPU_BACKEND}.
 */
public final class RuntimeChoice {

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--runtime", paramLabel = "b4916|v0.5.0",
            description = "llama.cpp build to run on: b4916 (java-llama.cpp 4.2.0's library) or v0.5.0 "
                    + "(installed by scripts/setup.sh). Default: $MEMDEC_RUNTIME, else v0.5.0 when a model file is one only "
                    + "v0.5.0 runs (qwen3, gemma4, ...), else b4916.")
    void runtime(String name) {
        RuntimeProfile profile;
        try {
            profile = RuntimeProfile.parse(name);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--runtime: " + e.getMessage());
        }
        RuntimeProfile.choose(profile);
    }

    @Option(names = "--gpu-backend", paramLabel = "none|vulkan|cuda",
            description = "llama.cpp v0.5.0's GPU build to run on: vulkan or cuda (the launcher installs its package "
                    + "on first use; implies --runtime v0.5.0), or none. Default: $MEMDEC_GPU_BACKEND, else none.")
    void gpuBackend(String name) {
        GpuBackend backend;
        try {
            backend = GpuBackend.parse(name);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--gpu-backend: " + e.getMessage());
        }
        GpuBackend.choose(backend);
    }

    @Option(names = "--llama-dir", paramLabel = "DIR",
            description = "A llama.cpp v0.5.0 build of your own, made by scripts/build-llama.sh (e.g. -DGGML_NATIVE=ON, "
                    + "or CUDA for your toolkit): the folder with its libraries and memdec-build.txt. Implies --runtime "
                    + "v0.5.0. Default: $MEMDEC_LLAMA_DIR, else the pinned npm build.")
    void llamaDir(String dir) {
        System.setProperty(LocalBuild.PROPERTY, dir);
    }
}

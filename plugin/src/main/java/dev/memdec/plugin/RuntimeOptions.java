package dev.memdec.plugin;

import dev.memdec.natives.llama.ModelOptions;
import dev.memdec.plugin.mlp.MlpMemory;

/**
 * How models are opened and run.
 *
 * @param threads     CPU threads per decode (both models use them, one after the other)
 * @param contextSize KV-cache length in tokens, shared by host and memory; 0 = the host's training context
 * @param gpuLayers   layers to offload to the GPU of a {@code --gpu-backend} build, or {@link ModelOptions#AUTO} (all
 *                    there, none on a CPU build); more than 0 on a CPU build is refused when a model loads
 * @param batchSize   the most tokens one native decode takes while prefilling
 * @param mlpEngine   what computes an MLP memory's forward ({@link MlpMemory.Engine#AUTO} by default)
 */
public record RuntimeOptions(int threads, int contextSize, int gpuLayers, int batchSize, MlpMemory.Engine mlpEngine) {

    public RuntimeOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        if (contextSize < 0) {
            throw new IllegalArgumentException("context size must be >= 0 (0 = the model's training context), got "
                    + contextSize);
        }
        if (gpuLayers < ModelOptions.AUTO) {
            throw new IllegalArgumentException("GPU layers must be >= 0 (or AUTO), got " + gpuLayers);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        if (mlpEngine == null) {
            throw new IllegalArgumentException("the MLP engine must be given");
        }
    }

    /**
     * All cores, the training context, every layer on the GPU of a GPU build (none on a CPU build), batches of 512,
     * MLP memories on the engine that suits the runtime.
     */
    public static RuntimeOptions defaults() {
        return new RuntimeOptions(Runtime.getRuntime().availableProcessors(), 0, ModelOptions.AUTO, 512,
                MlpMemory.Engine.AUTO);
    }

    public RuntimeOptions withThreads(int n) {
        return new RuntimeOptions(n, contextSize, gpuLayers, batchSize, mlpEngine);
    }

    public RuntimeOptions withContextSize(int n) {
        return new RuntimeOptions(threads, n, gpuLayers, batchSize, mlpEngine);
    }

    public RuntimeOptions withGpuLayers(int n) {
        return new RuntimeOptions(threads, contextSize, n, batchSize, mlpEngine);
    }

    public RuntimeOptions withBatchSize(int n) {
        return new RuntimeOptions(threads, contextSize, gpuLayers, n, mlpEngine);
    }

    public RuntimeOptions withMlpEngine(MlpMemory.Engine e) {
        return new RuntimeOptions(threads, contextSize, gpuLayers, batchSize, e);
    }
}

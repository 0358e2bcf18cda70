package dev.memdec.plugin.cli;

import dev.memdec.plugin.RuntimeOptions;
import dev.memdec.plugin.mlp.MlpMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The flags every runtime command shares: which models, threads, context, GPU layers. */
public final class RuntimeFlags {

    @Option(names = "--host", required = true, paramLabel = "H.gguf", description = "Host model (GGUF).")
    Path host;

    @Option(names = "--memory", paramLabel = "M.gguf",
            description = "Memory (GGUF): a memory decoder sharing the host's tokenizer, or an MLP memory trained on this host.")
    Path memory;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads per decode (default: all cores).")
    Integer threads;

    @Mixin
    GpuLayersOption gpuLayers;

    @Mixin
    MlpEngineOption mlpEngine;

    /** Options with {@code contextSize} tokens of context (0 = the host's training context). */
    RuntimeOptions options(int contextSize) {
        RuntimeOptions o = RuntimeOptions.defaults().withContextSize(contextSize).withGpuLayers(gpuLayers.layers())
                .withMlpEngine(mlpEngine.engine());
        if (threads != null) {
            if (threads < 1) {
                throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
            }
            o = o.withThreads(threads);
        }
        return o;
    }

    /** {@code --memory} opened as an MLP memory when the file is one (validated), else null. */
    MlpMemory mlpMemory() throws IOException {
        return memory != null && Files.isRegularFile(memory) && MlpMemory.isMlpMemory(memory) ? MlpMemory.open(memory, threads(),
                mlpEngine.engine())
                : null;
    }

    int threads() {
        return threads != null ? threads : Runtime.getRuntime().availableProcessors();
    }
}

package dev.memdec.plugin.cli;

import dev.memdec.plugin.mlp.MlpMemory;
import picocli.CommandLine.Option;

/** {@code --mlp-engine auto|ggml|java}: what computes an MLP memory's forward, for every command that runs one. */
public final class MlpEngineOption {

    @Option(names = "--mlp-engine", paramLabel = "E", defaultValue = "auto",
            description = "What runs an MLP memory: ggml (llama.cpp's CPU kernels), java (the Vector API kernels; the "
                    + "same logits at any thread count or batch size) or auto (default: ggml on the v0.5.0 runtime, "
                    + "java on b4916).")
    String engine;

    /** The parsed engine; one line naming the flag when it is neither value. */
    MlpMemory.Engine engine() {
        return MlpMemory.Engine.parse(engine);
    }
}

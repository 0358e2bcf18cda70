package dev.memdec.trainer.spark;

import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The host models of this JVM: an executor loads each host GGUF once and shares it between its tasks (llama.cpp
 * models are read-only after loading; every task makes its own context). Keyed by path, size and modification
 * time, so a file replaced at the same path is loaded again. Kept until the JVM exits.
 */
final class HostModels {

    private static final Map<String, LlamaModel> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private HostModels() {
    }

    static LlamaModel get(String host) throws IOException {
        Path path = Path.of(host);
        String key = path.toAbsolutePath() + "|" + Files.size(path) + "|" + Files.getLastModifiedTime(path).toMillis();
        try {
            return MODELS.computeIfAbsent(key, k -> {
                try {
                    LOADS.incrementAndGet();
                    return LlamaModel.load(path, ModelOptions.defaults());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** How many times this JVM loaded a host model. */
    static int loads() {
        return LOADS.get();
    }
}

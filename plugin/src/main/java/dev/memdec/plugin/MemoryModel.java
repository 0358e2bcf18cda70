package dev.memdec.plugin;

import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A memory decoder loaded for mixing: a small causal LM that shares its host's tokenizer. One memory can be
 * attached to several hosts at once; each attachment gets its own KV cache sized like its host's.
 *
 * <pre>{@code
 * try (HostModel host = HostModel.open(Path.of("host.gguf"), RuntimeOptions.defaults());
 *      MemoryModel memory = MemoryModel.open(Path.of("memory.gguf"), RuntimeOptions.defaults())) {
 *   host.attach(memory);
 *   String text = host.complete(GenerationRequest.of("The law says").withLambda(0.55)).text();
 * }
 * }</pre>
 */
public final class MemoryModel implements AutoCloseable {

    private final LlamaModel model;
    private final TokenizerFacts tokenizer;
    private final RuntimeOptions options;
    private final Set<HostModel> hosts = new LinkedHashSet<>();
    private boolean closed;

    private MemoryModel(LlamaModel model, TokenizerFacts tokenizer, RuntimeOptions options) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.options = options;
    }

    /**
     * Validates the file with memdec's GGUF reader, then loads it into llama.cpp.
     *
     * @throws IllegalArgumentException if the file is missing
     * @throws IOException              if it is not valid GGUF or llama.cpp cannot load it
     */
    public static MemoryModel open(Path path, RuntimeOptions options) throws IOException {
        ModelFile file = ModelFile.validate(path, "memory");
        try {
            return InferenceThread.call(() -> {
                LlamaModel model = LlamaModel.load(path, ModelOptions.defaults().withGpuLayers(options.gpuLayers()));
                return new MemoryModel(model, TokenizerFacts.of(model.vocab(), file), options);
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    public Path path() {
        return model.path();
    }

    public TokenizerFacts tokenizer() {
        return tokenizer;
    }

    /** Bytes of all tensors (what one decode reads). */
    public long sizeBytes() {
        return model.sizeBytes();
    }

    /** The training context length: an attached host's context must not exceed it. */
    public int trainingContext() {
        return model.nCtxTrain();
    }

    LlamaModel llamaModel() {
        checkOpen();
        return model;
    }

    RuntimeOptions options() {
        return options;
    }

    synchronized void attached(HostModel host) {
        checkOpen();
        hosts.add(host);
    }

    synchronized void detached(HostModel host) {
        hosts.remove(host);
    }

    /** Detaches this memory from every host, then frees it. Idempotent. */
    @Override
    public void close() {
        Set<HostModel> attachedTo;
        synchronized (this) {
            if (closed) {
                return;
            }
            attachedTo = new LinkedHashSet<>(hosts);
        }
        for (HostModel h : attachedTo) {
            h.detach();
        }
        synchronized (this) {
            closed = true;
        }
        InferenceThread.run(model::close);
    }

    private synchronized void checkOpen() {
        if (closed) {
            throw new IllegalStateException("memory " + model.path() + " is closed");
        }
    }

    @Override
    public String toString() {
        return "MemoryModel[" + model.path() + "]";
    }
}

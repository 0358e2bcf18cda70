package dev.memdec.plugin.mlp;

import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.converter.mlp.MlpMemoryGguf;
import dev.memdec.natives.llama.RuntimeProfile;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * An MLP memory loaded for inference: next-token logits from one host hidden state (the last block's FFN input,
 * the kNN key), with no attention and no cache, so a step costs the same at any context length.
 *
 * <p>The file is validated by {@link MlpMemoryGguf#read} (every key, tensor, shape and type) before anything is
 * used. The forward runs on one of two {@link Engine}s: ggml's CPU kernels inside the llama.cpp runtime or memdec's
 * Java Vector API kernels ({@link Engine#AUTO}, the default, picks by runtime profile). One instance may be used by one thread at a time (it owns its buffers).
 */
public final class MlpMemory {

    private final Path path;
    private final MlpMemoryConfig config;
    /**
     * Which code computes the forward. {@link #GGML} runs the llama.cpp runtime's own CPU kernels (the speed
     * llama.cpp has on the same weights); {@link #JAVA} runs memdec's Vector API kernels and gives the same logit
     * whatever the thread count or batch size, bit for bit. {@link #AUTO} picks GGML on the v0.5.0 runtime and JAVA
     * on b4916, whose ggml runs OpenMP teams that, once an MLP graph has run in the process, slow the decodes of
     * every other llama.cpp context there (measured in README "MLP memories").
     */
    public enum Engine {
        /** {@link #GGML} on the v0.5.0 runtime, {@link #JAVA} on b4916. */
        AUTO,
        /** A ggml graph on the llama.cpp runtime's CPU backend ({@link GgmlMlp}). */
        GGML,
        /** The Java Vector API kernels ({@link JavaMlp}). */
        JAVA;

        /** Parses {@code auto}, {@code ggml} or {@code java} (any case); one line naming the flag otherwise. */
        public static Engine parse(String s) {
            for (Engine e : values()) {
                if (e.name().equalsIgnoreCase(s)) {
                    return e;
                }
            }
            throw new IllegalArgumentException("--mlp-engine must be auto, ggml or java, got '" + s + "'");
        }

        /** This engine, or for {@link #AUTO} the one that suits the process's runtime profile. */
        public Engine resolve() {
            return this != AUTO ? this : RuntimeProfile.selected() == RuntimeProfile.V0_5_0 ? GGML : JAVA;
        }
    }

    /** Frees an unreachable memory's native tensors or stops its worker threads. */
    private static final Cleaner CLEANER = Cleaner.create();

    private final Engine engine;
    private final MlpForward forward;

    private MlpMemory(Path path, MlpMemoryConfig c, GgufFile f, int threads, Engine engine) {
        this.path = path;
        this.config = c;
        this.engine = engine.resolve();
        this.forward = this.engine == Engine.GGML ? new GgmlMlp(c, f, threads) : new JavaMlp(c, f, threads);
        CLEANER.register(this, forward::close);
    }

    /**
     * Reads and validates an MLP memory GGUF.
     *
     * @throws IllegalArgumentException if the file is missing, not an MLP memory, or malformed (one line naming it)
     * @throws IOException              if it cannot be read as GGUF at all
     */
    public static MlpMemory open(Path path) throws IOException {
        return open(path, 1);
    }

    /**
     * As {@link #open(Path)}, on {@code threads} threads (the host's decode thread count: the two never run at the
     * same time), on the {@link Engine#AUTO} engine.
     */
    public static MlpMemory open(Path path, int threads) throws IOException {
        return open(path, threads, Engine.AUTO);
    }

    /** As {@link #open(Path, int)} with the given engine. */
    public static MlpMemory open(Path path, int threads, Engine engine) throws IOException {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("MLP memory file not found: " + path);
        }
        try (GgufFile f = GgufFile.open(path)) {
            return new MlpMemory(path, MlpMemoryGguf.read(f), f, threads, engine);
        }
    }

    /** True when the GGUF at {@code path} declares the MLP memory architecture. */
    public static boolean isMlpMemory(Path path) throws IOException {
        try (GgufFile f = GgufFile.open(path)) {
            return MlpMemoryGguf.isMlpMemory(f);
        }
    }

    public Path path() {
        return path;
    }

    public MlpMemoryConfig config() {
        return config;
    }

    /** The engine that computes this memory's forward ({@link Engine#AUTO} resolved). */
    public Engine engine() {
        return engine;
    }

    /** The kernel of this memory's engine, e.g. {@code "ggml (llama.cpp runtime, CPU)"} or {@code "vector 512-bit (16 floats)"}. */
    public String kernel() {
        return forward.kernel();
    }

    /** Bytes of weights one forward reads, as held at run time. */
    public long weightBytes() {
        return forward.weightBytes();
    }

    /**
     * Refuses a host the memory was not trained on: another architecture, width or tokenizer. A host file whose
     * hash differs from the recorded one (a re-quantized or fine-tuned host of the same shape) is allowed; the
     * returned warning says so.
     *
     * @param architecture    the host's {@code general.architecture}
     * @param width           the host's n_embd
     * @param tokenizerSha256 the host's tokenizer hash ({@code memdec.tokenizer_sha256} or computed)
     * @param fileSha256      the host file's SHA-256, or null when not computed
     * @throws IllegalArgumentException one line naming the difference
     */
    public Optional<String> checkHost(String architecture, int width, String tokenizerSha256, String fileSha256) {
        MlpMemoryConfig.Host h = config.host();
        if (!h.architecture().equals(architecture)) {
            throw new IllegalArgumentException(path + ": this MLP memory reads a " + h.architecture()
                    + " host's hidden state, but the host is " + architecture);
        }
        if (h.width() != width) {
            throw new IllegalArgumentException(path + ": this MLP memory reads " + h.width()
                    + "-wide hidden states (memdec.host.embedding_length), but the host's n_embd is " + width);
        }
        if (!config.tokenizerSha256().equals(tokenizerSha256)) {
            throw new IllegalArgumentException(path + ": the host's tokenizer (sha256 " + tokenizerSha256
                    + ") differs from the one the MLP memory was trained with (" + config.tokenizerSha256() + ")");
        }
        if (fileSha256 != null && !h.fileSha256().isEmpty() && !h.fileSha256().equals(fileSha256)) {
            return Optional.of("warning: " + path + " was trained on host file sha256 " + h.fileSha256()
                    + ", this host is " + fileSha256 + " (same architecture and width; quality may differ)");
        }
        return Optional.empty();
    }

    /**
     * Next-token logits for one host hidden state.
     *
     * @param key    {@link MlpMemoryConfig#inputWidth()} floats (the host's last-FFN input at one position)
     * @param logits at least vocab floats; receives the memory's raw logits
     */
    public void logits(float[] key, int keyOffset, float[] logits) {
        MlpMemoryConfig c = config;
        if (key.length - keyOffset < c.inputWidth() || logits.length < c.vocab()) {
            throw new IllegalArgumentException("key needs " + c.inputWidth() + " floats and logits " + c.vocab());
        }
        logits(key, keyOffset, 1, logits);
    }

    /**
     * Next-token logits for {@code rows} consecutive hidden states ({@code keys[offset + r·inputWidth ..]}) into
     * {@code logits[r·vocab ..]}: every value equals {@link #logits(float[], int, float[])}'s for that row (each is
     * the same dot product, in the same order), but each tile of weights is read once for all the rows, so a batch
     * (a window's positions in perplexity) runs from cache instead of re-reading the weights per row.
     */
    public void logits(float[] keys, int offset, int rows, float[] logits) {
        MlpMemoryConfig c = config;
        if (rows < 1 || offset < 0 || keys.length - offset < (long) rows * c.inputWidth()
                || logits.length < (long) rows * c.vocab()) {
            throw new IllegalArgumentException(rows + " rows need " + c.inputWidth() + " key floats and " + c.vocab()
                    + " logits each");
        }
        forward.logits(keys, offset, rows, logits);
    }
}

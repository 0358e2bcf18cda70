package dev.memdec.plugin;

import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import dev.memdec.natives.llama.Vocab;
import dev.memdec.plugin.mix.MixMode;
import dev.memdec.plugin.mix.Mixing;
import dev.memdec.plugin.mlp.MlpMemory;
import dev.memdec.plugin.retrieval.KnnRetriever;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.IntConsumer;

/**
 * A host model with its KV cache, into which a {@link MemoryModel} can be mixed: the runtime API of memdec.
 *
 * <pre>{@code
 * try (HostModel host = HostModel.open(Path.of("host.gguf"), RuntimeOptions.defaults().withContextSize(1024));
 *      MemoryModel memory = MemoryModel.open(Path.of("memory.gguf"), RuntimeOptions.defaults())) {
 *   host.attach(memory);                                   // refuses a memory with another tokenizer
 *   GenerationRequest request = GenerationRequest.of("Once upon a time")
 *       .withMaxTokens(64).withMixing(new Mixing(0.55, 1.0))
 *       .withSampling(Sampling.defaults().withSeed(42)).withStop("\n\n");
 *   System.out.println(host.complete(request).text());   // blocking
 *   try (Generation g = host.generate(request)) {          // streaming; g.cancel() from any thread
 *     for (GeneratedToken t : g) System.out.print(t.text());
 *   }
 *   PerplexityReport r = host.perplexity(text, 1024, 512, List.of(0.0, 0.25, 0.55), 1.0);
 * }
 * }</pre>
 *
 * <p>All native work runs on one inference thread under the process-wide inference lock; the memory's decode
 * follows the host's in every step, and both caches always hold the same tokens. A host serves one generation
 * at a time: starting one cancels any still open. Methods may be called from any thread.
 */
public final class HostModel implements AutoCloseable {

    private final LlamaModel model;
    private final TokenizerFacts tokenizer;
    private final JointDecoder decoder;
    private final KnnRetriever retriever;
    private final java.util.Set<String> captured;
    private MemoryModel memory;
    private MlpMemory mlp;
    private Generation active;
    private boolean closed;

    private HostModel(LlamaModel model, ModelFile file, JointDecoder decoder, KnnRetriever retriever,
            java.util.Set<String> captured) {
        this.model = model;
        this.retriever = retriever;
        this.captured = captured;
        this.tokenizer = TokenizerFacts.of(model.vocab(), file);
        this.decoder = decoder;
    }

    /**
     * Validates the file with memdec's GGUF reader, loads it into llama.cpp and creates its context.
     *
     * @throws IllegalArgumentException if the file is missing, or the context is larger than the model's
     *                                  training context
     * @throws IOException              if it is not valid GGUF or llama.cpp cannot load it
     */
    public static HostModel open(Path path, RuntimeOptions options) throws IOException {
        return open(path, options, null);
    }

    /**
     * Opens the host so that every decode also captures the rows of {@code retriever}'s key tensor (the eval
     * callback), as a kNN-LM needs; {@code retriever} may be null.
     *
     * @throws IllegalArgumentException also when the retriever's key width differs from the host's n_embd
     */
    public static HostModel open(Path path, RuntimeOptions options, KnnRetriever retriever) throws IOException {
        return open(path, options, retriever, null);
    }

    /**
     * Opens the host so that it also captures the hidden state {@code mlp} reads (one row per output token), then
     * attaches {@code mlp}; either of {@code retriever} and {@code mlp} may be null.
     *
     * @throws IllegalArgumentException also when {@code mlp} was trained on a host of another architecture, width,
     *                                  depth or tokenizer (the message names the difference)
     */
    public static HostModel open(Path path, RuntimeOptions options, KnnRetriever retriever, MlpMemory mlp)
            throws IOException {
        HostModel host = openContext(path, options, retriever, mlp);
        if (mlp != null) {
            try {
                host.attach(mlp);
            } catch (RuntimeException e) {
                host.close();
                throw e;
            }
        }
        return host;
    }

    /**
     * Checks a host file as {@link #open} does before llama.cpp sees it, for callers that load it themselves (the
     * datastore build): valid GGUF, an architecture the selected runtime loads, gemma3's global layer on b4916.
     *
     * @throws IllegalArgumentException naming the file and what is wrong
     * @throws IOException              if it is not valid GGUF
     */
    public static void checkFile(Path path) throws IOException {
        ModelFile.validate(path, "host");
    }

    /**
     * The command line's choice of llama.cpp build from the model files a command names, when neither
     * {@code --runtime}, {@code MEMDEC_RUNTIME}, a GPU backend nor a build of one's own chose it: llama.cpp v0.5.0
     * when b4916 cannot run one of them (a qwen3 file, say) and v0.5.0 is installed, else the default b4916. Call it
     * before anything loads llama.cpp; the Java API itself never switches builds on its own.
     *
     * @return the line to tell the user, when it chose v0.5.0
     */
    public static Optional<String> chooseRuntimeFor(List<Path> files) {
        return ModelFile.chooseRuntimeFor(files);
    }

    private static HostModel openContext(Path path, RuntimeOptions options, KnnRetriever retriever, MlpMemory mlp)
            throws IOException {
        ModelFile file = ModelFile.validate(path, "host");
        try {
            return InferenceThread.call(() -> {
                LlamaModel model = LlamaModel.load(path, ModelOptions.defaults().withGpuLayers(options.gpuLayers()));
                try {
                    int nCtx = options.contextSize() == 0 ? model.nCtxTrain() : options.contextSize();
                    if (nCtx > model.nCtxTrain()) {
                        throw new IllegalArgumentException("context size " + nCtx + " exceeds the host's training "
                                + "context " + model.nCtxTrain() + " (" + path + ")");
                    }
                    ContextOptions co = contextOptions(nCtx, options);
                    java.util.Set<String> capture = new java.util.LinkedHashSet<>();
                    if (retriever != null) {
                        if (retriever.dimension() != model.nEmbd()) {
                            throw new IllegalArgumentException(retriever.source() + ": keys have " + retriever.dimension()
                                    + " dimensions but the host " + path + " has n_embd " + model.nEmbd());
                        }
                        capture.add(retriever.keyTensor());
                    }
                    if (mlp != null) {
                        capture.add(mlp.config().host().keyTensor());
                    }
                    if (!capture.isEmpty()) {
                        co = co.withCapture(capture.toArray(String[]::new));
                    }
                    LlamaContext ctx = LlamaContext.create(model, co);
                    return new HostModel(model, file, new JointDecoder(ctx), retriever, java.util.Set.copyOf(capture));
                } catch (RuntimeException e) {
                    model.close();
                    throw e;
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static ContextOptions contextOptions(int nCtx, RuntimeOptions o) {
        int batch = Math.min(o.batchSize(), nCtx);
        return ContextOptions.defaults().withNCtx(nCtx).withBatch(batch, batch).withThreads(o.threads(), o.threads());
    }

    public Path path() {
        return model.path();
    }

    /** KV-cache length in tokens (shared by the attached memory). */
    public int contextSize() {
        return decoder.nCtx();
    }

    public int vocabSize() {
        return tokenizer.vocabSize();
    }

    public TokenizerFacts tokenizer() {
        return tokenizer;
    }

    /** Bytes of all tensors (what one decode reads). */
    public long sizeBytes() {
        return model.sizeBytes();
    }

    /** The attached memory, if any. */
    public synchronized Optional<MemoryModel> memory() {
        return Optional.ofNullable(memory);
    }

    /**
     * Attaches a memory (replacing any attached one). Both caches restart empty.
     *
     * @throws IncompatibleMemoryException if its tokenizer differs from the host's (the message says how)
     * @throws IllegalArgumentException    if the host's context exceeds the memory's training context
     */
    public synchronized void attach(MemoryModel m) {
        checkOpen();
        TokenizerCompatibility.requireCompatible(tokenizer, m.tokenizer());
        if (decoder.nCtx() > m.trainingContext()) {
            throw new IllegalArgumentException("the host's context of " + decoder.nCtx() + " tokens exceeds the "
                    + "memory's training context " + m.trainingContext() + " (" + m.path() + "); open the host with "
                    + "a context of at most " + m.trainingContext());
        }
        cancelActive();
        MemoryModel previous = memory;
        InferenceThread.run(() -> {
            LlamaContext ctx = LlamaContext.create(m.llamaModel(), contextOptions(decoder.nCtx(), m.options())
                    .withBatch(decoder.nBatch(), decoder.nBatch()));
            decoder.setMemory(ctx);
        });
        if (previous != null) {
            previous.detached(this);
        }
        memory = m;
        mlp = null;
        m.attached(this);
    }

    /**
     * Attaches an MLP memory (replacing any attached memory); the host must have been opened with it (so that it
     * captures the hidden state the memory reads). The cache restarts empty.
     *
     * @throws IllegalArgumentException if the memory was trained on a host of another architecture, width, depth,
     *                                  vocabulary or tokenizer, or the host does not capture its input
     */
    public synchronized void attach(MlpMemory m) {
        checkOpen();
        String architecture = model.meta("general.architecture").orElse("");
        m.checkHost(architecture, model.nEmbd(), tokenizer.sha256().orElse(null), null);
        String key = m.config().host().keyTensor();
        String last = LlamaContext.ffnInput(model.nLayer() - 1);
        if (key.startsWith("ffn_norm-") && !key.equals(last)) {
            throw new IllegalArgumentException(m.path() + ": this MLP memory reads " + key + " (the last block's FFN "
                    + "input of its host), but this host's last block is " + last + " (" + model.nLayer() + " blocks)");
        }
        if (m.config().vocab() != vocabSize()) {
            throw new IllegalArgumentException(m.path() + ": this MLP memory has " + m.config().vocab()
                    + " output rows but the host's vocabulary has " + vocabSize() + " tokens");
        }
        if (!captured.contains(key)) {
            throw new IllegalArgumentException("the host " + model.path() + " does not capture " + key
                    + "; open it with HostModel.open(path, options, retriever, mlp)");
        }
        detach();
        cancelActive();
        InferenceThread.run(() -> decoder.setMlp(m, key));
        mlp = m;
    }

    /** The attached MLP memory, if any. */
    public synchronized Optional<MlpMemory> mlpMemory() {
        return Optional.ofNullable(mlp);
    }

    /** Detaches the memory, if any; the host then runs alone. */
    public synchronized void detach() {
        if (closed) {
            return;
        }
        if (mlp != null) {
            cancelActive();
            InferenceThread.run(() -> decoder.setMemory(null));
            mlp = null;
        }
        if (memory == null) {
            return;
        }
        cancelActive();
        InferenceThread.run(() -> decoder.setMemory(null));
        memory.detached(this);
        memory = null;
    }

    private boolean hasMemory() {
        return memory != null || mlp != null;
    }

    /**
     * The vocabulary both distributions are sliced to (reference-spec §7.4: the tokenizer's length): the real tokens
     * both share, so padding rows of either side (a family's larger output sizes) never enter a mixed distribution.
     */
    private int sharedVocab() {
        if (memory != null) {
            return Math.min(tokenizer.realVocabSize(), memory.tokenizer().realVocabSize());
        }
        return mlp != null ? Math.min(tokenizer.realVocabSize(), mlp.config().vocab()) : vocabSize();
    }

    /** Tokenizes as the host does for a prompt: with BOS where the model asks for one, special text as text. */
    public int[] tokenize(String text) {
        checkOpen();
        return model.vocab().tokenize(text, true, false);
    }

    /** Joins tokens back into text. */
    public String detokenize(int[] tokens) {
        checkOpen();
        return model.vocab().detokenize(tokens);
    }

    /** Generates until an end-of-text token, a stop string, the token limit or a full context. */
    public GenerationResult complete(GenerationRequest request) {
        try (Generation g = generate(request)) {
            // The whole loop on the inference thread: no hand-over between threads per token.
            return InferenceThread.call(() -> {
                while (g.hasNext()) {
                    g.next();
                }
                return g.result();
            });
        }
    }

    /**
     * Starts a streaming generation. The prompt is decoded when this returns (so prompt errors are thrown here);
     * each {@code next()} decodes one step.
     *
     * @throws IllegalArgumentException if the prompt does not fit the context, λ &gt; 0 is asked without an
     *                                  attached memory, or the grammar does not parse
     */
    public Generation generate(GenerationRequest request) {
        return generate(request, tokenize(request.prompt()));
    }

    /**
     * Starts a streaming generation from already tokenized input; the request's prompt text is not used. Token
     * prompts avoid a text round trip, which need not give back the same tokens.
     */
    public synchronized Generation generate(GenerationRequest request, int[] prompt) {
        checkOpen();
        cancelActive();
        Mixing mixing = resolveMixing(request.mixing());
        Vocab vocab = model.vocab();
        for (int t : prompt) {
            vocab.checkToken(t);
        }
        if (prompt.length == 0) {
            if (vocab.bos() < 0) {
                throw new IllegalArgumentException("the prompt is empty and the host has no BOS token to start from");
            }
            prompt = new int[] {vocab.bos()};
        }
        if (prompt.length >= decoder.nCtx()) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens but the context holds "
                    + decoder.nCtx() + " (one more is needed to generate); shorten it or raise --ctx");
        }
        active = Generation.start(decoder, vocab, prompt, request, hasMemory() ? mixing : null, sharedVocab());
        return active;
    }

    /**
     * Sliding-window perplexity of {@code text} (reference-spec §2.3/§7.3), host alone, mixed with the
     * attached memory at every λ, and (when opened with a {@link KnnRetriever}) mixed with live kNN retrieval at
     * every λ (the kNN-LM), from ONE decode of each window per model.
     *
     * @param window   tokens per window, at most {@link #contextSize()}
     * @param stride   window step, in [1, window]
     * @param lambdas  λ values to evaluate (ignored without a memory or retriever)
     * @param progress called with the number of windows done after each window (may be null)
     */
    public PerplexityReport perplexity(String text, int window, int stride, List<Double> lambdas,
            double memoryTemperature, IntConsumer progress) {
        return perplexity(text, window, stride, lambdas, memoryTemperature, MixMode.PROB, progress);
    }

    /** {@link #perplexity(String, int, int, List, double, IntConsumer)} with the memory mixed in {@code mode}. */
    public PerplexityReport perplexity(String text, int window, int stride, List<Double> lambdas,
            double memoryTemperature, MixMode mode, IntConsumer progress) {
        checkOpen();
        int[] tokens = model.vocab().tokenize(text, false, false);
        return perplexity(tokens, window, stride, lambdas, memoryTemperature, mode, progress);
    }

    /** The kNN retriever this host was opened with, if any. */
    public Optional<KnnRetriever> knnRetriever() {
        return Optional.ofNullable(retriever);
    }

    /** {@link #perplexity(String, int, int, List, double, IntConsumer)} over already tokenized text. */
    public PerplexityReport perplexity(int[] tokens, int window, int stride, List<Double> lambdas,
            double memoryTemperature, IntConsumer progress) {
        return perplexity(tokens, window, stride, lambdas, memoryTemperature, MixMode.PROB, progress);
    }

    /** {@link #perplexity(int[], int, int, List, double, IntConsumer)} with the memory mixed in {@code mode}. */
    public synchronized PerplexityReport perplexity(int[] tokens, int window, int stride, List<Double> lambdas,
            double memoryTemperature, MixMode mode, IntConsumer progress) {
        checkOpen();
        if (window > decoder.nCtx()) {
            throw new IllegalArgumentException("window " + window + " exceeds the context of " + decoder.nCtx()
                    + " tokens; open the host with --ctx " + window + " or more");
        }
        List<Mixing> mixings = new ArrayList<>();
        if (hasMemory()) {
            for (double l : lambdas) {
                mixings.add(new Mixing(l, memoryTemperature, mode));
            }
        }
        int sharedVocab = sharedVocab();
        for (double l : lambdas) {
            new Mixing(l, memoryTemperature);   // the kNN-LM rows use the same λ values: validate without a memory too
        }
        cancelActive();
        return InferenceThread.call(() -> Perplexity.evaluate(decoder, vocabSize(), sharedVocab, tokens, window,
                stride, mixings, retriever, lambdas, progress));
    }

    /**
     * Scores text under the host mixed with the attached memory at {@code mixing} (the host alone without a
     * memory): windows of the whole context with half-context strides.
     */
    public PerplexityReport score(String text, Mixing mixing) {
        Mixing m = resolveMixing(Optional.of(mixing));
        int window = decoder.nCtx();
        return perplexity(text, window, Math.max(1, window / 2), List.of(m.lambda()), m.memoryTemperature(), m.mode(),
                null);
    }

    private Mixing resolveMixing(Optional<Mixing> requested) {
        if (!hasMemory()) {
            if (requested.isPresent() && requested.get().lambda() > 0) {
                throw new IllegalArgumentException("lambda " + requested.get().lambda()
                        + " needs a memory; attach one first (or use lambda 0)");
            }
            return Mixing.hostOnly();
        }
        return requested.orElse(Mixing.of(Mixing.DEFAULT_LAMBDA));
    }

    private void cancelActive() {
        if (active != null) {
            active.close();
            active = null;
        }
    }

    /** The two caches, for benchmarks and perplexity in this package. */
    JointDecoder decoder() {
        checkOpen();
        return decoder;
    }

    /** For tests: the tokens both caches hold. */
    int[] cachedTokens() {
        return InferenceThread.call(decoder::cachedTokens);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("host " + model.path() + " is closed");
        }
    }

    /** Detaches the memory and frees the context and the model. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        detach();
        cancelActive();
        closed = true;
        InferenceThread.run(() -> {
            decoder.close();
            model.close();
        });
    }

    @Override
    public String toString() {
        return "HostModel[" + model.path() + (memory != null ? " + " + memory.path()
                : mlp != null ? " + " + mlp.path() : "") + "]";
    }
}

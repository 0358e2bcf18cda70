package dev.memdec.plugin.server;

import dev.memdec.natives.llama.InferenceLock;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import dev.memdec.natives.llama.Vocab;
import dev.memdec.plugin.FinishReason;
import dev.memdec.plugin.GeneratedToken;
import dev.memdec.plugin.Generation;
import dev.memdec.plugin.GenerationRequest;
import dev.memdec.plugin.HostModel;
import dev.memdec.plugin.MemoryModel;
import dev.memdec.plugin.mlp.MlpMemory;
import dev.memdec.plugin.RuntimeOptions;
import dev.memdec.plugin.Sampling;
import dev.memdec.plugin.TokenLogprobs;
import dev.memdec.plugin.TokenizerCompatibility;
import dev.memdec.plugin.mix.Mixing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The {@link CompletionEngine} over memdec's runtime ({@link HostModel} + {@link MemoryModel}): one host per slot
 * (llama.cpp mmaps the weights, so the copies share the page cache; each has its own KV cache), memories loaded
 * once and attached to a slot's host when a request asks for them. A request with the memory off runs with λ = 0
 * and leaves the slot's memory attached, so its KV cache stays in step and the next turn still reuses it.
 *
 * <p>Tokenization and token bytes come from a vocabulary-only load of the host (with special tokens parsed, as
 * chat templates need). That model has no context and shares no state with any decode, so HTTP threads tokenize
 * without the inference lock, as llama-server's do; every token's bytes are read once at start-up.
 */
public final class RuntimeEngine implements CompletionEngine {
    private final String modelId;
    private final LlamaModel vocabModel;
    private final Vocab vocab;
    private final byte[][] pieces;
    private final Map<String, MemoryModel> memories;
    private final Map<String, MlpMemory> mlps;
    private final List<String> names;
    private final Deque<HostModel> unopenedSlots;
    private final List<HostModel> hosts;
    private final int contextLength;

    private RuntimeEngine(String modelId, LlamaModel vocabModel, Map<String, MemoryModel> memories,
                          Map<String, MlpMemory> mlps, List<String> names, List<HostModel> hosts) {
        this.modelId = modelId;
        this.vocabModel = vocabModel;
        this.vocab = vocabModel.vocab();
        this.pieces = locked(() -> {
            byte[][] p = new byte[vocab.size()][];
            for (int t = 0; t < p.length; t++) {
                p[t] = vocab.pieceBytes(t);
            }
            return p;
        });
        this.memories = memories;
        this.mlps = mlps;
        this.names = List.copyOf(names);
        this.hosts = hosts;
        this.unopenedSlots = new ArrayDeque<>(hosts);
        this.contextLength = hosts.getFirst().contextSize();
    }

    /**
     * Loads the host once per slot and every memory once, and checks that each memory fits every host
     * (tokenizer and context) before anything is served.
     *
     * @param memoryFiles name → GGUF, in the order clients see them (the first is the default)
     * @throws IOException              when a file is not valid GGUF or llama.cpp cannot load it
     * @throws IllegalArgumentException when a memory's tokenizer or context does not fit the host
     */
    public static RuntimeEngine open(Path host, Map<String, Path> memoryFiles, RuntimeOptions options, int slots)
            throws IOException {
        if (slots < 1) {
            throw new IllegalArgumentException("slots must be >= 1, got " + slots);
        }
        List<HostModel> hosts = new ArrayList<>();
        Map<String, MemoryModel> memories = new LinkedHashMap<>();
        Map<String, MlpMemory> mlps = new LinkedHashMap<>();
        LlamaModel vocabModel = null;
        try {
            for (Map.Entry<String, Path> m : memoryFiles.entrySet()) {
                if (Files.isRegularFile(m.getValue()) && MlpMemory.isMlpMemory(m.getValue())) {
                    mlps.put(m.getKey(), MlpMemory.open(m.getValue(), options.threads(), options.mlpEngine()));
                }
            }
            // Hosts capture the hidden state MLP memories read (all read the host's last FFN input); opening with
            // each one attached checks that it was trained on this host.
            MlpMemory firstMlp = mlps.values().stream().findFirst().orElse(null);
            for (int i = 0; i < slots; i++) {
                hosts.add(HostModel.open(host, options, null, firstMlp));
            }
            for (MlpMemory mlp : mlps.values()) {
                hosts.getFirst().attach(mlp);
            }
            for (Map.Entry<String, Path> m : memoryFiles.entrySet()) {
                if (mlps.containsKey(m.getKey())) {
                    continue;
                }
                MemoryModel memory = MemoryModel.open(m.getValue(), options);
                memories.put(m.getKey(), memory);
                TokenizerCompatibility.requireCompatible(hosts.getFirst().tokenizer(), memory.tokenizer());
                if (hosts.getFirst().contextSize() > memory.trainingContext()) {
                    throw new IllegalArgumentException("memory '" + m.getKey() + "' (" + m.getValue() + ") was trained "
                            + "with a context of " + memory.trainingContext() + " tokens, less than the host's "
                            + hosts.getFirst().contextSize() + "; start with --ctx " + memory.trainingContext());
                }
            }
            if (!memoryFiles.isEmpty()) {
                String first = memoryFiles.keySet().iterator().next();
                for (HostModel h : hosts) {
                    if (mlps.containsKey(first)) {
                        h.attach(mlps.get(first));
                    } else {
                        h.attach(memories.get(first));
                    }
                }
            }
            // The host file was validated by HostModel.open above, so llama.cpp may read its vocabulary.
            Path file = host;
            vocabModel = locked(() -> {
                try {
                    return LlamaModel.load(file, ModelOptions.defaults().withVocabOnly(true));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            String name = host.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
            return new RuntimeEngine(name, vocabModel, memories, mlps, List.copyOf(memoryFiles.keySet()), hosts);
        } catch (RuntimeException | IOException e) {
            hosts.forEach(HostModel::close);
            memories.values().forEach(MemoryModel::close);
            if (vocabModel != null) {
                LlamaModel v = vocabModel;
                locked(() -> {
                    v.close();
                    return null;
                });
            }
            if (e instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            throw e;
        }
    }

    private static <T> T locked(Supplier<T> action) {
        ReentrantLock lock = InferenceLock.lock();
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public List<String> memoryNames() {
        return names;
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    /** The runtime reports the distribution its sampler chain saw first (see {@link TokenLogprobs}). */
    @Override
    public boolean supportsLogprobs() {
        return true;
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public int[] tokenize(String text, boolean addSpecial) {
        return vocab.tokenize(text, addSpecial, true);
    }

    @Override
    public byte[] tokenBytes(int token) {
        return pieces[token].clone();
    }

    @Override
    public Optional<String> chatTemplate() {
        return locked(vocabModel::chatTemplate);
    }

    @Override
    public String bosText() {
        return locked(() -> vocab.bos() < 0 ? "" : vocab.text(vocab.bos()));
    }

    @Override
    public String eosText() {
        return locked(() -> vocab.eos() < 0 ? "" : vocab.text(vocab.eos()));
    }

    @Override
    public synchronized EngineSlot openSlot() {
        HostModel host = unopenedSlots.poll();
        if (host == null) {
            throw new IllegalStateException("all " + hosts.size() + " slots are open; open the engine with more");
        }
        return new Slot(host);
    }

    @Override
    public void close() {
        hosts.forEach(HostModel::close);
        memories.values().forEach(MemoryModel::close);
        locked(() -> {
            vocabModel.close();
            return null;
        });
    }

    private final class Slot implements EngineSlot {
        private final HostModel host;
        /** What the host's caches hold as far as this slot knows: the heuristic for choosing a slot. */
        private int[] cached = new int[0];

        Slot(HostModel host) {
            this.host = host;
        }

        @Override
        public int[] cachedTokens() {
            return cached.clone();
        }

        @Override
        public TokenStream stream(int[] prompt, SamplingParams sampling, MemorySelection memory,
                                  CancellationToken cancel) {
            Optional<Mixing> mixing = Optional.empty();
            if (memory.enabled()) {
                String name = memory.name().orElseThrow();
                MemoryModel m = memories.get(name);
                MlpMemory mlp = mlps.get(name);
                if (m == null && mlp == null) {
                    throw new IllegalArgumentException("no memory named '" + name + "' is loaded");
                }
                if (m != null && host.memory().orElse(null) != m) {
                    host.attach(m);
                    cached = new int[0];
                } else if (mlp != null && host.mlpMemory().orElse(null) != mlp) {
                    host.attach(mlp);
                    cached = new int[0];
                }
                mixing = Optional.of(new Mixing(memory.lambda(), memory.temperature(), memory.mix()));
            } else if (host.memory().isPresent() || host.mlpMemory().isPresent()) {
                mixing = Optional.of(Mixing.hostOnly());
            }
            // The seed of llama.cpp's dist sampler is a 32-bit value; -1 would mean "random".
            int seed = (int) (sampling.seed() & 0x7fffffffL);
            Sampling s = new Sampling((float) sampling.temperature(), sampling.topK(), (float) sampling.topP(),
                    (float) sampling.minP(), seed, 1f, 0,
                    Optional.empty(), Map.of());
            // Stop strings and max tokens are the server's (CompletionRun, SlotScheduler): the runtime only samples.
            GenerationRequest request = new GenerationRequest("", Integer.MAX_VALUE, s, mixing, List.of(),
                    sampling.topLogprobs());
            Generation generation = host.generate(request, prompt);
            int decoded = generation.result().timings().promptTokens();
            return new Stream(generation, prompt, prompt.length - decoded, cancel);
        }

        @Override
        public void clear() {
            cached = new int[0];
        }

        @Override
        public void close() {
            // The hosts are closed with the engine.
        }

        private final class Stream implements TokenStream {
            private final Generation generation;
            private final int cachedPromptTokens;
            private final CancellationToken cancel;
            private final List<Integer> tokens;
            private final int promptLength;
            private StopReason reason;

            Stream(Generation generation, int[] prompt, int cachedPromptTokens, CancellationToken cancel) {
                this.generation = generation;
                this.cachedPromptTokens = cachedPromptTokens;
                this.cancel = cancel;
                this.tokens = new ArrayList<>(Arrays.stream(prompt).boxed().toList());
                this.promptLength = prompt.length;
            }

            @Override
            public int cachedPromptTokens() {
                return cachedPromptTokens;
            }

            @Override
            public StopReason stopReason() {
                return reason;
            }

            @Override
            public boolean hasNext() {
                if (reason != null) {
                    return false;
                }
                if (cancel.isCancelled()) {
                    generation.cancel();
                }
                if (generation.hasNext()) {
                    return true;
                }
                reason = switch (generation.finishReason()) {
                    case END_OF_TEXT, STOP -> StopReason.END_OF_GENERATION;
                    case LENGTH, CONTEXT_FULL -> StopReason.CONTEXT_FULL;
                    case CANCELLED -> StopReason.CANCELLED;
                };
                return false;
            }

            @Override
            public TokenEvent next() {
                GeneratedToken token = generation.next();
                tokens.add(token.id());
                boolean eog = generation.finishReason() == FinishReason.END_OF_TEXT;
                if (token.logprobs().isEmpty()) {
                    return new TokenEvent(token.id(), eog, Double.NaN, List.of());
                }
                TokenLogprobs lp = token.logprobs().get();
                List<TokenEvent.TokenLogprob> top = lp.top().stream()
                        .map(c -> new TokenEvent.TokenLogprob(c.token(), c.logprob())).toList();
                return new TokenEvent(token.id(), eog, lp.logprob(), top);
            }

            @Override
            public void close() {
                FinishReason finish = generation.finishReason();
                generation.close();
                // A token that ended the generation was sampled but never decoded into the cache.
                boolean lastDecoded = finish == null || finish == FinishReason.CANCELLED;
                int n = lastDecoded || tokens.size() == promptLength ? tokens.size() : tokens.size() - 1;
                cached = tokens.subList(0, n).stream().mapToInt(Integer::intValue).toArray();
            }
        }
    }
}

package dev.memdec.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.memdec.plugin.RuntimeOptions;
import dev.memdec.plugin.mix.Mixing;
import dev.memdec.plugin.server.ChatTemplate;
import dev.memdec.plugin.server.CompletionEngine;
import dev.memdec.plugin.server.RuntimeEngine;
import dev.memdec.plugin.server.SlotScheduler;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A memdec host with its memories, loaded once in llama.cpp, and the LangChain4j models over it: {@link #chatModel()}
 * and {@link #streamingChatModel()} share the host, its memories and one request queue. The memory is mixed into
 * every answer at {@code lambda} unless a model was made {@link #chatModel(boolean) without it}. Close it to free
 * the native models.
 *
 * <pre>{@code
 * try (MemdecModels models = MemdecModels.builder().host(host).memory("law", memory).lambda(0.4).build()) {
 *     ChatModel chat = models.chatModel();
 *     String answer = chat.chat("What does the statute say?");
 * }
 * }</pre>
 */
public final class MemdecModels implements AutoCloseable {

    private final CompletionEngine engine;
    private final SlotScheduler scheduler;
    private final ChatTemplate template;
    private final Settings settings;

    /** What every request of these models shares; LangChain4j's request parameters override the sampling defaults. */
    record Settings(Optional<String> memory, double lambda, double minP, long seed, Duration timeout,
                    ChatRequestParameters defaults) {
    }

    MemdecModels(CompletionEngine engine, Settings settings, int queue) {
        this.engine = engine;
        this.settings = settings;
        this.template = ChatTemplate.of(engine.chatTemplate(), engine.bosText(), engine.eosText());
        this.scheduler = new SlotScheduler(engine, 1, queue);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A blocking {@link ChatModel} with the memory mixed in. */
    public ChatModel chatModel() {
        return chatModel(true);
    }

    /** A blocking {@link ChatModel}; {@code withMemory} false gives the host alone (the baseline to compare with). */
    public ChatModel chatModel(boolean withMemory) {
        return new MemdecChatModel(turns(withMemory));
    }

    /** A {@link StreamingChatModel} with the memory mixed in: partial answers as the tokens are sampled. */
    public StreamingChatModel streamingChatModel() {
        return new MemdecStreamingChatModel(turns(true));
    }

    private Turns turns(boolean withMemory) {
        return new Turns(engine, scheduler, template, settings, withMemory);
    }

    @Override
    public void close() {
        try {
            scheduler.close();
        } finally {
            engine.close();
        }
    }

    /** Which host and memories to load and how to sample by default. */
    public static final class Builder {
        private Path host;
        private final Map<String, Path> memories = new LinkedHashMap<>();
        private String memory;
        private double lambda = Mixing.DEFAULT_LAMBDA;
        private int contextSize;
        private Integer threads;
        private double temperature = 0.8;
        private int topK = 40;
        private double topP = 0.95;
        private double minP = 0.05;
        private Long seed;
        private int maxTokens = 256;
        private Duration timeout = Duration.ofMinutes(5);
        private int queue = 16;

        private Builder() {
        }

        /** The host GGUF (required). */
        public Builder host(Path host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** A memory GGUF sharing the host's tokenizer; the first one added is mixed in unless {@link #useMemory}. */
        public Builder memory(String name, Path file) {
            memories.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(file, "file"));
            return this;
        }

        /** Which loaded memory the models mix in (default: the first added). */
        public Builder useMemory(String name) {
            this.memory = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Memory weight λ in [0, 1] (default {@value Mixing#DEFAULT_LAMBDA}). */
        public Builder lambda(double lambda) {
            this.lambda = lambda;
            return this;
        }

        /** Context in tokens; 0 (default) is the host's training context. */
        public Builder contextSize(int contextSize) {
            this.contextSize = contextSize;
            return this;
        }

        /** CPU threads per decode (default: all cores). */
        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        /** Default temperature in [0, 2]; 0 is greedy (default 0.8, llama.cpp's). */
        public Builder temperature(double temperature) {
            this.temperature = temperature;
            return this;
        }

        /** Default top-k, 0 = off (default 40). */
        public Builder topK(int topK) {
            this.topK = topK;
            return this;
        }

        /** Default top-p in (0, 1] (default 0.95). */
        public Builder topP(double topP) {
            this.topP = topP;
            return this;
        }

        /** min-p in [0, 1), 0 = off (default 0.05); LangChain4j's request parameters have no min-p. */
        public Builder minP(double minP) {
            this.minP = minP;
            return this;
        }

        /** Seed of the sampler (default: random); turn n of a conversation samples with seed + n. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Default longest answer in tokens (default 256). */
        public Builder maxTokens(int maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        /** Longest a request may take, queueing included (default 5 minutes). */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** Requests that may wait while one is answered (default 16); more are refused. */
        public Builder queue(int queue) {
            this.queue = queue;
            return this;
        }

        /**
         * Loads the host and memories.
         *
         * @throws IllegalArgumentException for a missing or malformed file, a memory with another tokenizer, or a
         *                                  setting out of range, naming it
         * @throws IOException              when a file cannot be read
         */
        public MemdecModels build() throws IOException {
            if (host == null) {
                throw new IllegalArgumentException("host: a host GGUF is required");
            }
            if (!(lambda >= 0 && lambda <= 1)) {
                throw new IllegalArgumentException("lambda must be in [0, 1], got " + lambda);
            }
            if (memory != null && !memories.containsKey(memory)) {
                throw new IllegalArgumentException("useMemory: no memory named '" + memory + "' was added ("
                        + String.join(", ", memories.keySet()) + ")");
            }
            if (!timeout.isPositive()) {
                throw new IllegalArgumentException("timeout must be positive, got " + timeout);
            }
            if (queue < 0 || queue > 4096) {
                throw new IllegalArgumentException("queue must be in [0, 4096], got " + queue);
            }
            ChatRequestParameters defaults = ChatRequestParameters.builder().temperature(temperature).topK(topK)
                    .topP(topP).maxOutputTokens(maxTokens).build();
            Optional<String> mixed = Optional.ofNullable(memory).or(() -> memories.keySet().stream().findFirst());
            Settings settings = new Settings(mixed, lambda, minP, seed != null ? seed
                    : ThreadLocalRandom.current().nextLong(), timeout, defaults);
            Turns.sampling(defaults, settings, 0); // refuses bad sampling defaults before any model is loaded
            if (maxTokens < 1) {
                throw new IllegalArgumentException("maxTokens must be >= 1, got " + maxTokens);
            }
            RuntimeOptions options = RuntimeOptions.defaults().withContextSize(contextSize);
            if (threads != null) {
                options = options.withThreads(threads);
            }
            RuntimeEngine engine = RuntimeEngine.open(host, memories, options, 1);
            try {
                return new MemdecModels(engine, settings, queue);
            } catch (RuntimeException e) {
                engine.close();
                throw e;
            }
        }
    }
}

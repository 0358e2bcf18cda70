package dev.memdec.plugin.server;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * A test double of the runtime: byte-level tokens (token = byte, 256 = EOS), and an answer chosen by a function
 * of the prompt text and the memory selection, one byte per step. It records what a real engine must get right:
 * which thread called it, how many prompt tokens it decoded (KV reuse), and how many streams are open (leaks).
 */
public final class FakeEngine implements CompletionEngine {
    static final int EOS = 256;

    private final List<String> memories;
    private final int contextLength;
    private final Optional<String> chatTemplate;
    private volatile BiFunction<String, MemorySelection, String> answer;
    private volatile long stepMillis;
    public final AtomicInteger decodedPromptTokens = new AtomicInteger();
    public final AtomicInteger openStreams = new AtomicInteger();
    /** The sampling settings of every stream opened, in order. */
    public final Queue<SamplingParams> samplings = new ConcurrentLinkedQueue<>();
    /** The memory selection of every stream opened, in order. */
    public final Queue<MemorySelection> selections = new ConcurrentLinkedQueue<>();
    final List<Thread> generatingThreads = new java.util.concurrent.CopyOnWriteArrayList<>();

    public FakeEngine(List<String> memories, int contextLength, Optional<String> chatTemplate) {
        this.memories = List.copyOf(memories);
        this.contextLength = contextLength;
        this.chatTemplate = chatTemplate;
        this.answer = FakeEngine::describe;
    }

    /** The default answer: says which memory and λ were used, so tests can tell the columns apart. */
    static String describe(String prompt, MemorySelection memory) {
        return memory.enabled()
                ? "memory " + memory.name().orElseThrow() + " at lambda " + memory.lambda() + "."
                : "host only answer.";
    }

    public void answer(BiFunction<String, MemorySelection, String> answer) {
        this.answer = answer;
    }

    /** Sleep per generated token, to make requests overlap in concurrency tests. */
    public void stepMillis(long millis) {
        this.stepMillis = millis;
    }

    @Override
    public String modelId() {
        return "fake-host";
    }

    @Override
    public List<String> memoryNames() {
        return memories;
    }

    @Override
    public int vocabSize() {
        return 257;
    }

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
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] tokens = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            tokens[i] = bytes[i] & 0xff;
        }
        return tokens;
    }

    @Override
    public byte[] tokenBytes(int token) {
        return token == EOS ? new byte[0] : new byte[] {(byte) token};
    }

    @Override
    public Optional<String> chatTemplate() {
        return chatTemplate;
    }

    @Override
    public String bosText() {
        return "";
    }

    @Override
    public String eosText() {
        return "<eos>";
    }

    @Override
    public EngineSlot openSlot() {
        return new Slot();
    }

    @Override
    public void close() {
    }

    private final class Slot implements EngineSlot {
        private int[] cached = new int[0];
        private boolean streaming;

        @Override
        public int[] cachedTokens() {
            return cached.clone();
        }

        @Override
        public TokenStream stream(int[] prompt, SamplingParams sampling, MemorySelection memory, CancellationToken cancel) {
            if (streaming) {
                throw new IllegalStateException("slot already streaming");
            }
            if (prompt.length >= contextLength) {
                throw new IllegalArgumentException("prompt too long");
            }
            if (memory.enabled() && !memories.contains(memory.name().orElseThrow())) {
                throw new IllegalArgumentException("no memory " + memory.name().orElseThrow());
            }
            generatingThreads.add(Thread.currentThread());
            int reuse = SlotScheduler.commonPrefix(cached, prompt);
            decodedPromptTokens.addAndGet(prompt.length - reuse);
            samplings.add(sampling);
            selections.add(memory);
            streaming = true;
            openStreams.incrementAndGet();
            byte[] bytes = answer.apply(new String(bytesOf(prompt), StandardCharsets.UTF_8), memory)
                    .getBytes(StandardCharsets.UTF_8);
            List<Integer> context = new ArrayList<>(Arrays.stream(prompt).boxed().toList());
            return new TokenStream() {
                private int next;
                private StopReason reason;

                @Override
                public int cachedPromptTokens() {
                    return reuse;
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
                        reason = StopReason.CANCELLED;
                    } else if (context.size() >= contextLength) {
                        reason = StopReason.CONTEXT_FULL;
                    } else if (next > bytes.length) {
                        reason = StopReason.END_OF_GENERATION;
                    }
                    return reason == null;
                }

                @Override
                public TokenEvent next() {
                    generatingThreads.add(Thread.currentThread());
                    if (stepMillis > 0) {
                        try {
                            Thread.sleep(stepMillis);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    int token = next < bytes.length ? bytes[next] & 0xff : EOS;
                    next++;
                    context.add(token);
                    List<TokenEvent.TokenLogprob> top = new ArrayList<>();
                    for (int i = 0; i < Math.max(0, sampling.topLogprobs()); i++) {
                        top.add(new TokenEvent.TokenLogprob(i == 0 ? token : 'a' + i, Math.log(0.5 / (i + 1))));
                    }
                    if (token == EOS) {
                        reason = StopReason.END_OF_GENERATION;
                    }
                    return new TokenEvent(token, token == EOS,
                            sampling.wantsLogprobs() ? Math.log(0.5) : Double.NaN, top);
                }

                @Override
                public void close() {
                    cached = context.stream().mapToInt(Integer::intValue).toArray();
                    streaming = false;
                    openStreams.decrementAndGet();
                }
            };
        }

        @Override
        public void clear() {
            cached = new int[0];
        }

        @Override
        public void close() {
        }
    }

    private static byte[] bytesOf(int[] tokens) {
        byte[] b = new byte[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            b[i] = (byte) tokens[i];
        }
        return b;
    }
}

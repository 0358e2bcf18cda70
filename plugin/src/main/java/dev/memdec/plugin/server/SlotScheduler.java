package dev.memdec.plugin.server;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs every generation on one platform thread: N slots, each with its own KV cache, advanced round-robin one
 * token at a time, and a bounded queue of requests waiting for a slot.
 *
 * <p>One thread because llama.cpp b4916 corrupts logits when two decodes overlap (shared/docs/parallel-decode.md),
 * and a platform thread because FFM downcalls pin virtual threads. Slots interleave at token granularity, so a
 * long answer does not block short ones. A new request goes to the free slot whose cache shares the longest
 * prefix with its prompt, which is what makes multi-turn chat cheap.
 */
public final class SlotScheduler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SlotScheduler.class.getName());
    /** How long the idle inference thread sleeps before it looks at its flags again. */
    private static final long IDLE_POLL_MS = 100;

    private final CompletionEngine engine;
    private final int slotCount;
    private final int queueCapacity;
    private final BlockingQueue<GenerationHandle> waiting;
    private final Thread thread;
    private final CountDownLatch started = new CountDownLatch(1);
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    /** Slots taken by a generation; updated before a generation's last event is posted. */
    private final java.util.concurrent.atomic.AtomicInteger busy = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean running = true;
    private volatile RuntimeException startFailure;

    /** Only the inference thread touches these. */
    private final List<EngineSlot> free = new ArrayList<>();
    private final List<Active> active = new ArrayList<>();

    private record Active(GenerationHandle generation, EngineSlot slot, TokenStream stream, int[] counter) {}

    /**
     * Starts the inference thread and opens {@code slots} engine slots on it.
     *
     * @throws IllegalArgumentException when slots or queue is out of range
     */
    public SlotScheduler(CompletionEngine engine, int slots, int queue) {
        checkLimits(slots, queue);
        this.engine = engine;
        this.slotCount = slots;
        this.queueCapacity = queue;
        this.waiting = new ArrayBlockingQueue<>(Math.max(1, queue));
        this.thread = Thread.ofPlatform().name("memdec-inference").daemon(true).unstarted(this::run);
        thread.start();
        try {
            started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening slots", e);
        }
        if (startFailure != null) {
            throw startFailure;
        }
    }

    /**
     * Checks slot and queue counts (before models are loaded for them).
     *
     * @throws IllegalArgumentException when slots is outside [1, 64] or queue outside [0, 4096]
     */
    public static void checkLimits(int slots, int queue) {
        if (slots < 1 || slots > 64) {
            throw new IllegalArgumentException("--parallel must be in [1, 64], got " + slots);
        }
        if (queue < 0 || queue > 4096) {
            throw new IllegalArgumentException("--queue must be in [0, 4096], got " + queue);
        }
    }

    /**
     * Queues a request. Events arrive on the returned handle.
     *
     * @throws ServerBusyException when all slots are busy and the queue is full
     */
    public GenerationHandle submit(SlotRequest request) {
        if (!running) {
            throw new IllegalStateException("the server is shutting down");
        }
        GenerationHandle[] self = new GenerationHandle[1];
        GenerationHandle generation = new GenerationHandle(request, () -> waiting.remove(self[0]));
        self[0] = generation;
        boolean accepted = queueCapacity == 0
                ? busy.get() < slotCount && waiting.isEmpty() && waiting.offer(generation)
                : waiting.offer(generation);
        if (!accepted) {
            throw new ServerBusyException(slotCount, queueCapacity);
        }
        return generation;
    }

    public SlotStats stats() {
        int taken = busy.get();
        return new SlotStats(slotCount, slotCount - taken, taken, waiting.size(), completed.get(), failed.get());
    }

    private void run() {
        try {
            for (int i = 0; i < slotCount; i++) {
                free.add(engine.openSlot());
            }
        } catch (RuntimeException e) {
            startFailure = e;
            free.forEach(EngineSlot::close);
            running = false;
            started.countDown();
            return;
        }
        started.countDown();
        try {
            while (running) {
                admit();
                if (active.isEmpty()) {
                    GenerationHandle next = waiting.poll(IDLE_POLL_MS, TimeUnit.MILLISECONDS);
                    if (next != null) {
                        start(next);
                    }
                    continue;
                }
                for (int i = 0; i < active.size(); ) {
                    if (step(active.get(i))) {
                        i++;
                    } else {
                        active.remove(i);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (Active a : active) {
                finish(a, new GenerationEvent.Failed(new IllegalStateException("the server is shutting down")));
            }
            active.clear();
            for (GenerationHandle g; (g = waiting.poll()) != null; ) {
                g.post(new GenerationEvent.Failed(new IllegalStateException("the server is shutting down")));
            }
            free.forEach(EngineSlot::close);
            free.clear();
        }
    }

    private void admit() {
        while (!free.isEmpty()) {
            GenerationHandle next = waiting.poll();
            if (next == null) {
                return;
            }
            start(next);
        }
    }

    private void start(GenerationHandle generation) {
        SlotRequest request = generation.request();
        if (generation.isCancelled()) {
            generation.post(new GenerationEvent.Finished(GenerationEvent.FinishReason.CANCELLED));
            return;
        }
        if (Instant.now().isAfter(request.deadline())) {
            generation.post(new GenerationEvent.Finished(GenerationEvent.FinishReason.TIMEOUT));
            return;
        }
        EngineSlot slot = takeBestSlot(request.prompt());
        try {
            TokenStream stream = slot.stream(request.prompt(), request.sampling(), request.memory(),
                    generation.cancellation());
            generation.post(new GenerationEvent.Started(request.prompt().length, stream.cachedPromptTokens()));
            active.add(new Active(generation, slot, stream, new int[1]));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "generation failed to start", e);
            slot.clear();
            free.add(slot);
            busy.decrementAndGet();
            failed.incrementAndGet();
            generation.post(new GenerationEvent.Failed(e));
        }
    }

    /** The free slot whose cached tokens share the longest prefix with the prompt. */
    private EngineSlot takeBestSlot(int[] prompt) {
        int best = 0;
        int bestLength = -1;
        for (int i = 0; i < free.size(); i++) {
            int length = commonPrefix(free.get(i).cachedTokens(), prompt);
            if (length > bestLength) {
                best = i;
                bestLength = length;
            }
        }
        busy.incrementAndGet();
        return free.remove(best);
    }

    static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }

    /** Advances one active generation by one token; false when it is done and its slot is free again. */
    private boolean step(Active a) {
        GenerationHandle generation = a.generation();
        try {
            if (generation.isCancelled()) {
                return finish(a, new GenerationEvent.Finished(GenerationEvent.FinishReason.CANCELLED));
            }
            if (Instant.now().isAfter(generation.request().deadline())) {
                return finish(a, new GenerationEvent.Finished(GenerationEvent.FinishReason.TIMEOUT));
            }
            if (!a.stream().hasNext()) {
                return finish(a, new GenerationEvent.Finished(switch (a.stream().stopReason()) {
                    case END_OF_GENERATION -> GenerationEvent.FinishReason.STOP;
                    case CONTEXT_FULL -> GenerationEvent.FinishReason.LENGTH;
                    case CANCELLED -> GenerationEvent.FinishReason.CANCELLED;
                }));
            }
            TokenEvent token = a.stream().next();
            generation.post(new GenerationEvent.Token(token));
            if (token.endOfGeneration()) {
                return finish(a, new GenerationEvent.Finished(GenerationEvent.FinishReason.STOP));
            }
            if (++a.counter()[0] >= generation.request().maxTokens()) {
                return finish(a, new GenerationEvent.Finished(GenerationEvent.FinishReason.LENGTH));
            }
            return true;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "generation failed", e);
            return finish(a, new GenerationEvent.Failed(e));
        }
    }

    /** Closes the stream, returns the slot and posts the last event; always false (the generation is done). */
    private boolean finish(Active a, GenerationEvent last) {
        try {
            a.stream().close();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing a token stream failed; clearing its slot", e);
            a.slot().clear();
            if (!(last instanceof GenerationEvent.Failed)) {
                last = new GenerationEvent.Failed(e);
            }
        }
        if (last instanceof GenerationEvent.Failed) {
            a.slot().clear();
            failed.incrementAndGet();
        } else {
            completed.incrementAndGet();
        }
        free.add(a.slot());
        busy.decrementAndGet();
        a.generation().post(last);
        return false;
    }

    /** Stops the inference thread: running generations fail, queued ones too; slots are closed. */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package dev.memdec.plugin.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SlotSchedulerTest {
    private static final SamplingParams GREEDY = new SamplingParams(0, 1, 1, -1);

    private static SlotRequest request(String prompt, int maxTokens) {
        byte[] bytes = prompt.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int[] tokens = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            tokens[i] = bytes[i] & 0xff;
        }
        return new SlotRequest(tokens, GREEDY, MemorySelection.none(), maxTokens, Instant.now().plusSeconds(60));
    }

    /** All events of a generation, up to and including its last. */
    private static List<GenerationEvent> drain(GenerationHandle g) throws InterruptedException {
        List<GenerationEvent> events = new ArrayList<>();
        while (true) {
            GenerationEvent e = g.poll(30, TimeUnit.SECONDS);
            events.add(e);
            if (e instanceof GenerationEvent.Finished || e instanceof GenerationEvent.Failed || e == null) {
                return events;
            }
        }
    }

    @Test
    void twoSlotsInterleaveTokenByToken() throws Exception {
        FakeEngine engine = new FakeEngine(List.of(), 4096, Optional.empty());
        List<Integer> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        engine.answer((prompt, memory) -> prompt.repeat(20));
        engine.stepMillis(5);
        try (SlotScheduler scheduler = new SlotScheduler(engine, 2, 4)) {
            GenerationHandle a = scheduler.submit(request("a", 100));
            GenerationHandle b = scheduler.submit(request("b", 100));
            Thread ta = Thread.ofVirtual().start(() -> record(a, order));
            Thread tb = Thread.ofVirtual().start(() -> record(b, order));
            ta.join();
            tb.join();
        }
        // 21 tokens each (20 letters and EOS); round-robin means neither finishes before the other has started.
        assertEquals(42, order.size());
        int firstB = order.indexOf((int) 'b');
        int lastA = order.lastIndexOf((int) 'a');
        assertTrue(firstB < lastA, "b's tokens arrive while a is still generating: " + order);
    }

    /** Appends each token to the shared order as it arrives. */
    private static void record(GenerationHandle g, List<Integer> order) {
        try {
            while (true) {
                GenerationEvent e = g.poll(30, TimeUnit.SECONDS);
                if (e instanceof GenerationEvent.Token t) {
                    order.add(t.token().endOfGeneration() ? -1 : t.token().token());
                } else if (!(e instanceof GenerationEvent.Started)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void theSlotWithTheLongestCommonPrefixIsChosen() throws Exception {
        FakeEngine engine = new FakeEngine(List.of(), 4096, Optional.empty());
        engine.answer((prompt, memory) -> "!");
        try (SlotScheduler scheduler = new SlotScheduler(engine, 2, 4)) {
            drain(scheduler.submit(request("conversation one", 5)));
            drain(scheduler.submit(request("another talk", 5)));
            List<GenerationEvent> events = drain(scheduler.submit(request("conversation one! and more", 5)));
            GenerationEvent.Started started = assertInstanceOf(GenerationEvent.Started.class, events.getFirst());
            assertEquals("conversation one!".length(), started.cachedPromptTokens());
        }
    }

    @Test
    void anEngineFailureReachesTheRequestAndTheSlotStaysUsable() throws Exception {
        FakeEngine engine = new FakeEngine(List.of(), 4096, Optional.empty());
        try (SlotScheduler scheduler = new SlotScheduler(engine, 1, 4)) {
            SlotRequest unknownMemory = new SlotRequest(new int[] {1}, GREEDY,
                    MemorySelection.of("nope", 0.5, 1), 5, Instant.now().plusSeconds(60));
            List<GenerationEvent> failed = drain(scheduler.submit(unknownMemory));
            assertInstanceOf(GenerationEvent.Failed.class, failed.getLast());
            List<GenerationEvent> ok = drain(scheduler.submit(request("x", 3)));
            assertInstanceOf(GenerationEvent.Finished.class, ok.getLast());
            assertEquals(1, scheduler.stats().idle());
            assertEquals(1, scheduler.stats().failed());
        }
    }

    @Test
    void limitsAreChecked() {
        FakeEngine engine = new FakeEngine(List.of(), 4096, Optional.empty());
        assertThrows(IllegalArgumentException.class, () -> new SlotScheduler(engine, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> new SlotScheduler(engine, 2, -1));
    }
}

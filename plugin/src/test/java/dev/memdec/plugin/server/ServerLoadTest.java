package dev.memdec.plugin.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * 16 concurrent loopback clients for 20 s (the CI-sized version of {@link LoadBenchmark}'s 2-minute run):
 * no errors, every malformed request refused with a 4xx, no leaked slots, no growth of the heap.
 */
class ServerLoadTest {

    @Test
    void sixteenClientsForTwentySeconds() throws Exception {
        FakeEngine engine = TestServer.fakeEngine();
        engine.stepMillis(2);
        try (TestServer server = new TestServer(engine, 4, 64, Duration.ofSeconds(120))) {
            LoadBenchmark.run(new LoadBenchmark.Options(server.server.baseUri(), 16, Duration.ofSeconds(2), 16));
            long before = usedHeapAfterGc();
            LoadBenchmark.Result r = LoadBenchmark.run(
                    new LoadBenchmark.Options(server.server.baseUri(), 16, Duration.ofSeconds(20), 32));
            long after = usedHeapAfterGc();
            System.out.println("load: " + r.summary() + String.format("; heap after GC %.1f -> %.1f MiB",
                    before / 1048576.0, after / 1048576.0));
            assertEquals(0, r.errors(), r.errorSamples().toString());
            assertEquals(0, r.badRejections());
            assertTrue(r.requests() > 16 && r.rejected() > 0, r.summary());
            assertEquals(0, r.health().get("slots_processing").getAsInt(), r.summary());
            assertEquals(4, r.health().get("slots_idle").getAsInt(), r.summary());
            assertEquals(0, r.health().get("queued").getAsInt(), r.summary());
            assertEquals(0, engine.openStreams.get());
            assertTrue(after - before < 64L << 20, "heap grew by " + (after - before) / 1048576 + " MiB");
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}

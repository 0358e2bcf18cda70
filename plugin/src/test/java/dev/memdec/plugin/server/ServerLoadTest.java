package dev.memdec.plugin.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * 16 concurrent loopback clients for 20 s against the real runtime (the CI-sized version of
 * {@link LoadBenchmark}'s 2-minute run): no errors, every malformed request refused with a 4xx, no leaked slots,
 * and neither the heap nor the process's resident memory keeps growing.
 */
class ServerLoadTest {

    @Test
    void sixteenClientsForTwentySeconds() throws Exception {
        TestServer server = ServerTestModels.sharedServer();
        // Warm-up: JIT, first-use allocations of llama.cpp's compute buffers in every slot.
        LoadBenchmark.run(new LoadBenchmark.Options(server.server.baseUri(), 16, Duration.ofSeconds(3), 16));
        long heapBefore = usedHeapAfterGc();
        long rssBefore = residentBytes();
        LoadBenchmark.Result r = LoadBenchmark.run(
                new LoadBenchmark.Options(server.server.baseUri(), 16, Duration.ofSeconds(20), 16));
        long heapAfter = usedHeapAfterGc();
        long rssAfter = residentBytes();
        System.out.printf("load (16 clients, 20 s, 2 slots, real runtime): %s; heap after GC %.1f -> %.1f MiB; "
                        + "RSS %.1f -> %.1f MiB%n", r.summary(), heapBefore / 1048576.0, heapAfter / 1048576.0,
                rssBefore / 1048576.0, rssAfter / 1048576.0);
        assertEquals(0, r.errors(), r.errorSamples().toString());
        assertEquals(0, r.badRejections());
        assertTrue(r.requests() > 16 && r.rejected() > 0, r.summary());
        assertEquals(0, r.health().get("slots_processing").getAsInt(), r.summary());
        assertEquals(2, r.health().get("slots_idle").getAsInt(), r.summary());
        assertEquals(0, r.health().get("queued").getAsInt(), r.summary());
        assertTrue(heapAfter - heapBefore < 64L << 20, "heap grew by " + (heapAfter - heapBefore) / 1048576 + " MiB");
        assertTrue(rssAfter - rssBefore < 128L << 20, "RSS grew by " + (rssAfter - rssBefore) / 1048576 + " MiB");
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    /** VmRSS of this process (Linux). */
    private static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("/proc/self/status has no VmRSS line");
    }
}

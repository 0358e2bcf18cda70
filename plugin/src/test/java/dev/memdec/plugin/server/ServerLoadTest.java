package dev.memdec.plugin.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
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

    /**
     * Abuse over raw loopback sockets while real clients keep asking: 300 idle connections, 20 slow-loris clients
     * dribbling header bytes, oversize, truncated and invalid-UTF-8 bodies, nesting 10^5 deep, unknown fields, wrong
     * methods and paths. Every request that reaches memdec gets a JSON 4xx; real completions keep getting 200;
     * afterwards no slot is busy or queued and the heap is flat.
     */
    @Test
    void abuseIsRefusedWhileRealClientsAreAnswered() throws Exception {
        TestServer server = ServerTestModels.sharedServer();
        int port = server.server.port();
        assertEquals(200, server.post("/v1/completions", "{\"prompt\":\"warm\",\"max_tokens\":2}").statusCode());
        long heapBefore = usedHeapAfterGc();
        List<Socket> idle = new ArrayList<>();
        AtomicBoolean abusing = new AtomicBoolean(true);
        List<Thread> lorises = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                idle.add(new Socket(InetAddress.getLoopbackAddress(), port));
            }
            for (int i = 0; i < 20; i++) {
                Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                idle.add(s);
                lorises.add(Thread.ofVirtual().start(() -> {
                    try (OutputStream out = s.getOutputStream()) {
                        out.write("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
                        while (abusing.get()) {
                            out.write('X');
                            out.flush();
                            Thread.sleep(50);
                        }
                    } catch (IOException | InterruptedException e) {
                        // the server may hang up on a client this slow: that is allowed
                    }
                }));
            }
            CompletableFuture<List<Integer>> real = CompletableFuture.supplyAsync(() -> {
                List<Integer> statuses = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    try {
                        statuses.add(server.post("/v1/completions",
                                "{\"prompt\":\"The law\",\"max_tokens\":4,\"temperature\":0}").statusCode());
                    } catch (IOException | InterruptedException e) {
                        statuses.add(-1);
                    }
                }
                return statuses;
            });
            byte[] deep = ("{\"prompt\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}").getBytes(StandardCharsets.US_ASCII);
            byte[] badUtf8 = "{\"prompt\":\"caf\u00e9\"}".getBytes(StandardCharsets.UTF_8);
            badUtf8[badUtf8.length - 3] = (byte) 0xFF;
            assertJson4xx(post(port, "/v1/completions", new byte[(1 << 20) + 10], -1), 413);
            assertJson4xx(post(port, "/v1/completions", "{\"prompt\":\"x\"".getBytes(StandardCharsets.US_ASCII), 100), 400);
            assertJson4xx(post(port, "/v1/chat/completions", badUtf8, -1), 400);
            assertJson4xx(post(port, "/v1/completions", deep, -1), 400);
            assertJson4xx(post(port, "/v1/completions", "{\"prompt\":\"x\",\"memory\":{\"lamda\":1}}"
                    .getBytes(StandardCharsets.US_ASCII), -1), 400);
            assertJson4xx(post(port, "/v1/chat/completions", "{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}"
                    .getBytes(StandardCharsets.US_ASCII), -1), 400);
            assertJson4xx(TestServer.raw(port, "GET /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII)), 405);
            assertJson4xx(TestServer.raw(port, "DELETE /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII)), 404);
            // an unknown top-level field is ignored, as llama-server and OpenAI's clients expect
            assertTrue(post(port, "/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1,\"frobnicate\":[1]}"
                    .getBytes(StandardCharsets.US_ASCII), -1).startsWith("HTTP/1.1 200"));
            // a request line that is not HTTP never reaches memdec: the JDK's server answers 400 or hangs up
            String garbage = TestServer.raw(port, "\u0001\u0002 GARBAGE\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertTrue(garbage.isEmpty() || garbage.startsWith("HTTP/1.1 400"), garbage);
            assertEquals(List.of(200, 200, 200, 200, 200, 200, 200, 200), real.get());
        } finally {
            abusing.set(false);
            for (Thread t : lorises) {
                t.join(5_000);
            }
            for (Socket s : idle) {
                s.close();
            }
        }
        JsonObject health = server.health();
        assertEquals(2, health.get("slots_idle").getAsInt(), health.toString());
        assertEquals(0, health.get("queued").getAsInt(), health.toString());
        long heapAfter = usedHeapAfterGc();
        System.out.printf("abuse: heap after GC %.1f -> %.1f MiB, health %s%n", heapBefore / 1048576.0,
                heapAfter / 1048576.0, health);
        assertTrue(heapAfter - heapBefore < 64L << 20, "heap grew by " + (heapAfter - heapBefore) / 1048576 + " MiB");
    }

    /** POSTs {@code body}, claiming {@code claimed} bytes of it (-1: its real length) and then half-closing. */
    private static String post(int port, String path, byte[] body, int claimed) throws IOException {
        byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Connection: close\r\nContent-Length: " + (claimed < 0 ? body.length : claimed) + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[head.length + body.length];
        System.arraycopy(head, 0, request, 0, head.length);
        System.arraycopy(body, 0, request, head.length, body.length);
        return TestServer.raw(port, request);
    }

    private static void assertJson4xx(String response, int status) {
        assertTrue(response.startsWith("HTTP/1.1 " + status), response.length() > 300 ? response.substring(0, 300) : response);
        String body = response.substring(response.indexOf("\r\n\r\n") + 4);
        JsonObject error = JsonParser.parseString(body).getAsJsonObject().getAsJsonObject("error");
        assertTrue(error != null && !error.get("message").getAsString().isBlank(), body);
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

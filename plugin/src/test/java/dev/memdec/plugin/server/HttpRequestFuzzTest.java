package dev.memdec.plugin.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import dev.memdec.converter.fuzz.Fuzz;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole mutated HTTP requests (request line, headers, body) for every endpoint, sent as raw bytes to a live
 * server on 127.0.0.1 (a scripted engine, so 10,000 fit in seconds). Every answer that comes from memdec is
 * JSON with a status below 500, an error body for every 4xx; a request so broken that the JDK's HTTP layer
 * refuses it before memdec sees it gets that layer's 4xx or a hang-up. Afterwards the server is healthy, no
 * request failed inside it, and no slot is busy.
 */
class HttpRequestFuzzTest {

    private static final int CASES = 10_000;
    private static final String REQUEST = "request.http";

    @TempDir
    Path dir;

    private final FakeEngine engine = TestServer.fakeEngine();
    private TestServer server;

    @AfterEach
    void stop() {
        server.close();
    }

    private static final List<String> VALID = List.of(
            post("/v1/completions", "{\"prompt\":\"Once\",\"max_tokens\":3,\"memory\":{\"name\":\"law\",\"lambda\":0.3}}"),
            post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":3,"
                    + "\"stream\":true}"),
            post("/completions", "{\"prompt\":[1,2],\"max_tokens\":2,\"logprobs\":1}"),
            get("/health"), get("/v1/models"), get("/models"), get("/"));

    private static String post(String path, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n";
    }

    /** JSON answers, which only memdec's handler gives: a good share of the cases must get past the JDK's HTTP layer. */
    private final AtomicInteger fromMemdec = new AtomicInteger();

    private void check(String response) {
        if (response.isEmpty()) {
            return;   // hung up: allowed for input that is not HTTP
        }
        assertTrue(response.startsWith("HTTP/1.1 "), response);
        int status = Integer.parseInt(response.substring(9, 12));
        assertTrue(status < 500, response);
        int split = response.indexOf("\r\n\r\n");
        String head = response.substring(0, Math.max(split, 0)).toLowerCase();
        if (head.contains("content-type: application/json")) {
            fromMemdec.incrementAndGet();
            // the first value only: a request with stray bytes after it is answered twice on one connection
            JsonObject body = JsonParser.parseReader(new JsonReader(new StringReader(response.substring(split + 4))))
                    .getAsJsonObject();
            if (status >= 400) {
                assertTrue(!body.getAsJsonObject("error").get("message").getAsString().isBlank(), response);
            }
        } else if (!head.contains("text/event-stream") && !head.contains("text/html")) {
            assertTrue(status >= 400, "a non-JSON " + status + " answer: " + response);   // the JDK's own refusals
        }
    }

    @Test
    void everyRequestGetsJsonOrAFourHundredAndTheServerStaysHealthy() throws Exception {
        server = TestServer.fake(engine);
        int port = server.server.port();
        Fuzz.Generator requests = (valid, m) -> {
            byte[] request = VALID.get(m.random().nextInt(VALID.size())).getBytes(StandardCharsets.UTF_8);
            int edits = 1 + m.random().nextInt(3);
            for (int i = 0; i < edits; i++) {
                request = m.bytes(request, Math.max(1, new String(request, StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n")));
            }
            return Map.of(REQUEST, request);
        };
        Fuzz.Stats s = Fuzz.of("http-requests").clean(e -> false).messagesNeedNotNameAFile().limitMillis(30_000)
                .run(dir, Map.of(REQUEST, VALID.getFirst().getBytes(StandardCharsets.UTF_8)), 20260411L, CASES,
                        requests, d -> check(TestServer.raw(port, Files.readAllBytes(d.resolve(REQUEST)))));
        assertEquals(CASES, s.parsed(), s.toString());
        assertTrue(fromMemdec.get() > CASES / 4, fromMemdec + " of " + CASES + " answers came from memdec");
        JsonObject health = server.health();
        assertEquals(0, health.get("requests_failed").getAsInt(), health.toString());
        assertEquals(2, health.get("slots_idle").getAsInt(), health.toString());
        assertEquals(0, health.get("queued").getAsInt(), health.toString());
    }
}

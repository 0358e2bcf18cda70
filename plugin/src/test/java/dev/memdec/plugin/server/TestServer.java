package dev.memdec.plugin.server;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** A server on a free loopback port over an engine, plus small HTTP helpers for tests. */
final class TestServer implements AutoCloseable {
    final CompletionEngine engine;
    final SlotScheduler scheduler;
    final ApiServer server;
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    TestServer(CompletionEngine engine, int slots, int queue, Duration timeout) throws IOException {
        this.engine = engine;
        this.scheduler = new SlotScheduler(engine, slots, queue);
        RequestParser parser = new RequestParser(engine,
                ChatTemplate.of(engine.chatTemplate(), engine.bosText(), engine.eosText()), 0.4);
        this.server = ApiServer.start(engine, scheduler, parser,
                new ApiServer.Options("127.0.0.1", 0, timeout, 1 << 20));
    }

    static TestServer fake(FakeEngine engine) throws IOException {
        return new TestServer(engine, 2, 8, Duration.ofSeconds(30));
    }

    static FakeEngine fakeEngine() {
        return new FakeEngine(List.of("law", "med"), 512, Optional.empty());
    }

    URI uri(String path) {
        return server.baseUri().resolve(path);
    }

    HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Sends raw bytes on a fresh loopback connection to {@code port}, half-closes it, and returns everything the
     * server answers (empty if it hung up), waiting at most 60 s.
     */
    static String raw(int port, byte[] request) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(60_000);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    out.write(request);
                    out.flush();
                    s.shutdownOutput();
                } catch (IOException e) {
                    // the server may answer (413) and hang up before reading everything
                }
            });
            String response;
            try {
                response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (SocketException reset) {
                response = "";
            }
            writer.join();
            return response;
        }
    }

    static JsonObject json(HttpResponse<String> response) {
        return JsonParser.parseString(response.body()).getAsJsonObject();
    }

    JsonObject health() throws IOException, InterruptedException {
        return json(get("/health"));
    }

    @Override
    public void close() {
        server.close();
        scheduler.close();
        engine.close();
    }
}

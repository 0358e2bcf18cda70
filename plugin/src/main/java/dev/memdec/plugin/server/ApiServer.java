package dev.memdec.plugin.server;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The OpenAI-compatible HTTP server: {@code /v1/models}, {@code /v1/completions}, {@code /v1/chat/completions}
 * (both streaming as server-sent events and not), {@code /health}, and the chat page at {@code /}.
 *
 * <p>Built on the JDK's {@code com.sun.net.httpserver}: no framework, chunked responses that are flushed per
 * event (SSE), and a failed write is how a vanished client is noticed, after which its generation is cancelled.
 * Handlers run on virtual threads and only wait for events; generation itself runs on the scheduler's platform
 * thread. A request never takes the server down: every failure becomes a JSON error body.
 *
 * <p>A client that leaves a non-streaming request cannot be noticed (nothing is written until the answer is
 * ready); such a generation runs until max_tokens, the end of the answer, or {@code --timeout}.
 */
public final class ApiServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ApiServer.class.getName());
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();
    private static final String PAGE = "/dev/memdec/plugin/server/web/index.html";
    /** How long a streaming handler waits for an event before it sends an SSE comment (which detects a gone client). */
    private static final Duration HEARTBEAT = Duration.ofSeconds(1);

    /**
     * @param bind         address to listen on (127.0.0.1 unless the user opts in to more)
     * @param port         0 picks a free port
     * @param timeout      per-request limit, queue time included
     * @param maxBodyBytes request bodies larger than this get 413
     */
    public record Options(String bind, int port, Duration timeout, int maxBodyBytes) {
        public Options {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("--port must be in [0, 65535], got " + port);
            }
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("--timeout must be positive, got " + timeout.toSeconds() + " s");
            }
            if (maxBodyBytes < 1024) {
                throw new IllegalArgumentException("max body size must be at least 1024 bytes, got " + maxBodyBytes);
            }
        }
    }

    private final CompletionEngine engine;
    private final SlotScheduler scheduler;
    private final RequestParser parser;
    private final Options options;
    private final HttpServer http;
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    private final long created = Instant.now().getEpochSecond();

    private ApiServer(CompletionEngine engine, SlotScheduler scheduler, RequestParser parser, Options options)
            throws IOException {
        this.engine = engine;
        this.scheduler = scheduler;
        this.parser = parser;
        this.options = options;
        this.http = HttpServer.create(new InetSocketAddress(options.bind(), options.port()), 128);
        http.createContext("/", this::handle);
        http.setExecutor(handlers);
    }

    /** Binds and starts serving; the scheduler and engine stay owned by the caller. */
    public static ApiServer start(CompletionEngine engine, SlotScheduler scheduler, RequestParser parser,
                                  Options options) throws IOException {
        ApiServer server = new ApiServer(engine, scheduler, parser, options);
        server.http.start();
        return server;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    public URI baseUri() {
        return URI.create("http://" + http.getAddress().getHostString() + ":" + port());
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            try {
                route(exchange);
            } catch (ApiException e) {
                sendJson(exchange, e.status(), e.body());
            } catch (ServerBusyException e) {
                sendJson(exchange, 503, new ApiException(503, "unavailable_error", null, "server_busy", e.getMessage()).body());
            } catch (IOException | UncheckedIOException e) {
                LOG.log(System.Logger.Level.DEBUG, "client connection failed: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException | StackOverflowError e) {
                LOG.log(System.Logger.Level.ERROR, "request failed: " + exchange.getRequestURI(), e);
                sendJson(exchange, 500, new ApiException(500, "server_error", null, "internal_error",
                        "internal error: " + e.getClass().getSimpleName()).body());
            }
        }
    }

    private void route(HttpExchange exchange) throws IOException, InterruptedException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        switch (path) {
            case "/", "/index.html" -> {
                requireMethod(method, "GET");
                sendPage(exchange);
            }
            case "/health" -> {
                requireMethod(method, "GET");
                sendJson(exchange, 200, health());
            }
            case "/v1/models", "/models" -> {
                requireMethod(method, "GET");
                sendJson(exchange, 200, models());
            }
            case "/v1/completions", "/completions" -> {
                requireMethod(method, "POST");
                serve(exchange, parser.completion(readJson(exchange)));
            }
            case "/v1/chat/completions", "/chat/completions" -> {
                requireMethod(method, "POST");
                serve(exchange, parser.chat(readJson(exchange)));
            }
            default -> throw new ApiException(404, "invalid_request_error", null, "not_found",
                    "no endpoint " + method + " " + path);
        }
    }

    private static void requireMethod(String actual, String expected) {
        if (!actual.equals(expected)) {
            throw new ApiException(405, "invalid_request_error", null, "method_not_allowed",
                    "use " + expected + " here, not " + actual);
        }
    }

    private JsonObject health() {
        SlotStats s = scheduler.stats();
        JsonObject o = new JsonObject();
        o.addProperty("status", "ok");
        o.addProperty("slots_total", s.slots());
        o.addProperty("slots_idle", s.idle());
        o.addProperty("slots_processing", s.processing());
        o.addProperty("queued", s.queued());
        o.addProperty("requests_completed", s.completed());
        o.addProperty("requests_failed", s.failed());
        return o;
    }

    private JsonObject models() {
        JsonObject model = new JsonObject();
        model.addProperty("id", engine.modelId());
        model.addProperty("object", "model");
        model.addProperty("created", created);
        model.addProperty("owned_by", "memdec");
        JsonObject meta = new JsonObject();
        meta.addProperty("n_ctx", engine.contextLength());
        meta.addProperty("n_vocab", engine.vocabSize());
        JsonArray memories = new JsonArray();
        engine.memoryNames().forEach(memories::add);
        meta.add("memories", memories);
        meta.addProperty("default_lambda", parser.defaultLambda());
        meta.addProperty("default_mix", parser.defaultMix().jsonName());
        model.add("meta", meta);
        JsonArray data = new JsonArray();
        data.add(model);
        JsonObject list = new JsonObject();
        list.addProperty("object", "list");
        list.add("data", data);
        return list;
    }

    private JsonObject readJson(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(options.maxBodyBytes() + 1);
        } catch (IOException e) {
            // the client half-closed before sending Content-Length bytes; it may still be reading
            throw new ApiException(400, "invalid_request_error", null, "truncated_body",
                    "request body ended before its Content-Length (" + exchange.getRequestHeaders()
                            .getFirst("Content-Length") + " bytes): " + e.getMessage());
        }
        if (body.length > options.maxBodyBytes()) {
            throw new ApiException(413, "invalid_request_error", null, "request_too_large",
                    "request body is larger than " + options.maxBodyBytes() + " bytes");
        }
        return RequestParser.body(body);
    }

    private void serve(HttpExchange exchange, CompletionJob job) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(options.timeout());
        GenerationHandle generation = scheduler.submit(new SlotRequest(job.prompt(), job.sampling(), job.memory(),
                job.maxTokens(), deadline));
        CompletionRun run = new CompletionRun(generation, engine, job.stops());
        OpenAiJson json = new OpenAiJson(job, (job.chat() ? "chatcmpl-" : "cmpl-") + UUID.randomUUID(),
                Instant.now().getEpochSecond());
        try {
            if (job.stream()) {
                stream(exchange, job, run, json);
            } else {
                List<CompletionRun.TokenLogprobs> logprobs = new ArrayList<>();
                while (!run.isDone()) {
                    CompletionRun.Delta delta = run.next(HEARTBEAT);
                    if (delta != null) {
                        logprobs.addAll(delta.logprobs());
                    }
                }
                sendJson(exchange, 200, json.complete(run.text(), logprobs, run.finishReason(), run.usage(),
                        run.timings()));
            }
        } finally {
            run.cancel();
        }
    }

    /** Server-sent events: one {@code data: {...}} per delta, the finish chunk, usage if asked, then [DONE]. */
    private static void stream(HttpExchange exchange, CompletionJob job, CompletionRun run, OpenAiJson json)
            throws IOException, InterruptedException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.getResponseHeaders().set("X-Accel-Buffering", "no");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        if (job.chat()) {
            event(out, json.chunk("", List.of(), true, null));
        }
        try {
            while (!run.isDone()) {
                CompletionRun.Delta delta = run.next(HEARTBEAT);
                if (delta == null) {
                    write(out, ": keep-alive\n\n");
                } else if (!delta.isEmpty() && !run.isDone()) {
                    event(out, json.chunk(delta.text(), delta.logprobs(), false, null));
                } else if (run.isDone()) {
                    event(out, json.finalChunk(delta.text(), delta.logprobs(), run.finishReason(), run.timings()));
                }
            }
        } catch (ApiException e) {
            // Headers are gone already: the error travels as an event, as llama-server does.
            event(out, e.body());
            write(out, "data: [DONE]\n\n");
            return;
        }
        if (job.includeUsage()) {
            event(out, json.usageChunk(run.usage()));
        }
        write(out, "data: [DONE]\n\n");
    }

    private static void event(OutputStream out, JsonObject data) throws IOException {
        write(out, "data: " + GSON.toJson(data) + "\n\n");
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void sendJson(HttpExchange exchange, int status, JsonObject body) {
        byte[] bytes = GSON.toJson(body).getBytes(StandardCharsets.UTF_8);
        try {
            exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not send a response: " + e);
        }
    }

    private static void sendPage(HttpExchange exchange) throws IOException {
        byte[] page;
        try (InputStream in = ApiServer.class.getResourceAsStream(PAGE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + PAGE + " is missing from the classpath");
            }
            page = in.readAllBytes();
        }
        exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        exchange.sendResponseHeaders(200, page.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(page);
        }
    }

    /** Stops accepting connections and waits (briefly) for handlers to end; the scheduler is closed by its owner. */
    @Override
    public void close() {
        http.stop(0);
        handlers.shutdownNow();
    }
}

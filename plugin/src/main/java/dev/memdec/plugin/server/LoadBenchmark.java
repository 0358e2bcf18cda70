package dev.memdec.plugin.server;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded load test of a running memdec server, loopback only: N clients send a mix of streaming chat and
 * non-streaming completions (memory on and off, varying λ) and, as every fifth request, a malformed one, for a
 * fixed duration,
 * then check /health for leaked slots. Prints latency percentiles and tokens/s.
 *
 * <pre>java -cp ... dev.memdec.plugin.server.LoadBenchmark --url http://127.0.0.1:8080 --clients 16 --duration 120</pre>
 */
public final class LoadBenchmark {

    /** What to run. Only loopback URLs are accepted: this tool must never load another machine. */
    public record Options(URI url, int clients, Duration duration, int maxTokens) {
        public Options {
            if (clients < 1 || clients > 256) {
                throw new IllegalArgumentException("--clients must be in [1, 256], got " + clients);
            }
            if (duration.isNegative() || duration.isZero() || duration.toSeconds() > 3600) {
                throw new IllegalArgumentException("--duration must be in [1, 3600] seconds, got " + duration.toSeconds());
            }
            if (maxTokens < 1 || maxTokens > 4096) {
                throw new IllegalArgumentException("--max-tokens must be in [1, 4096], got " + maxTokens);
            }
            try {
                if (!"http".equals(url.getScheme()) || url.getHost() == null
                        || !InetAddress.getByName(url.getHost()).isLoopbackAddress()) {
                    throw new IllegalArgumentException("--url must be http:// on a loopback address, got " + url);
                }
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException("--url host is unknown: " + url, e);
            }
        }
    }

    /**
     * @param requests      generation requests that completed with 200
     * @param errors        generation requests that failed (status other than 200, broken stream, I/O error)
     * @param rejected      malformed requests that got the expected 4xx
     * @param badRejections malformed requests that got anything else
     * @param health        /health after the run
     */
    public record Result(int requests, int errors, int rejected, int badRejections, long tokens, double seconds,
                         double p50Ms, double p90Ms, double p99Ms, double maxMs, JsonObject health,
                         List<String> errorSamples) {
        public double tokensPerSecond() {
            return tokens / seconds;
        }

        public String summary() {
            return String.format(Locale.ROOT, "%d requests, %d errors, %d/%d malformed requests refused with 4xx, "
                            + "%d tokens in %.1f s = %.1f tokens/s; latency p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, "
                            + "max %.0f ms; health after: %s",
                    requests, errors, rejected, rejected + badRejections, tokens, seconds, tokensPerSecond(),
                    p50Ms, p90Ms, p99Ms, maxMs, health);
        }
    }

    private static final String[] MALFORMED = {
        "{\"prompt\": ",
        "{\"prompt\":\"x\",\"temperature\":-1}",
        "{\"prompt\":\"x\",\"max_tokens\":0}",
        "{\"prompt\":\"x\",\"memory\":{\"lambda\":2}}",
        "{\"prompt\":\"x\",\"memory\":{\"name\":\"no-such-memory\"}}",
    };

    private LoadBenchmark() {
    }

    public static Result run(Options o) throws InterruptedException, IOException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        long end = System.nanoTime() + o.duration().toNanos();
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> errorSamples = new ConcurrentLinkedQueue<>();
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger rejected = new AtomicInteger();
        AtomicInteger badRejections = new AtomicInteger();
        AtomicLong tokens = new AtomicLong();
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < o.clients(); c++) {
            int id = c;
            threads.add(Thread.ofVirtual().name("load-client-" + c).start(() -> {
                SplittableRandom random = new SplittableRandom(id);
                for (int i = 0; System.nanoTime() < end; i++) {
                    try {
                        if (i % 5 == 1) {
                            String body = MALFORMED[random.nextInt(MALFORMED.length)];
                            int status = post(client, o.url().resolve("/v1/completions"), body).statusCode();
                            (status >= 400 && status < 500 ? rejected : badRejections).incrementAndGet();
                            continue;
                        }
                        long t0 = System.nanoTime();
                        long n = random.nextBoolean()
                                ? streamChat(client, o, random) : complete(client, o, random);
                        latencies.add(System.nanoTime() - t0);
                        tokens.addAndGet(n);
                    } catch (IOException | RuntimeException e) {
                        errors.incrementAndGet();
                        if (errorSamples.size() < 5) {
                            errorSamples.add(e.toString());
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        JsonObject health = waitForIdle(client, o.url());
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Result(sorted.length, errors.get(), rejected.get(), badRejections.get(), tokens.get(), seconds,
                percentile(sorted, 50), percentile(sorted, 90), percentile(sorted, 99),
                sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6, health, List.copyOf(errorSamples));
    }

    /** /health once every generation has wound down (cancelled ones free their slot within one step). */
    private static JsonObject waitForIdle(HttpClient client, URI url) throws IOException, InterruptedException {
        JsonObject health = null;
        for (int i = 0; i < 50; i++) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(url.resolve("/health")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            health = JsonParser.parseString(r.body()).getAsJsonObject();
            if (health.get("slots_processing").getAsInt() == 0 && health.get("queued").getAsInt() == 0) {
                break;
            }
            Thread.sleep(100);
        }
        return health;
    }

    private static double percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }

    private static String memory(SplittableRandom random) {
        return random.nextInt(3) == 0 ? "{\"enabled\":false}"
                : String.format(Locale.ROOT, "{\"enabled\":true,\"lambda\":%.2f}", random.nextDouble());
    }

    private static long complete(HttpClient client, Options o, SplittableRandom random)
            throws IOException, InterruptedException {
        String body = String.format(Locale.ROOT, "{\"prompt\":\"The court held that\",\"max_tokens\":%d,"
                + "\"temperature\":0.8,\"seed\":%d,\"memory\":%s}", o.maxTokens(), random.nextInt(1000), memory(random));
        HttpResponse<String> r = post(client, o.url().resolve("/v1/completions"), body);
        if (r.statusCode() != 200) {
            throw new IOException("completion: HTTP " + r.statusCode() + " " + r.body());
        }
        return JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("usage")
                .get("completion_tokens").getAsLong();
    }

    private static long streamChat(HttpClient client, Options o, SplittableRandom random)
            throws IOException, InterruptedException {
        String body = String.format(Locale.ROOT, "{\"messages\":[{\"role\":\"user\",\"content\":\"Question %d?\"}],"
                        + "\"max_tokens\":%d,\"stream\":true,\"stream_options\":{\"include_usage\":true},\"memory\":%s}",
                random.nextInt(5), o.maxTokens(), memory(random));
        HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(o.url().resolve("/v1/chat/completions"))
                        .timeout(Duration.ofSeconds(300)).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        long tokens = -1;
        boolean done = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            if (r.statusCode() != 200) {
                throw new IOException("chat stream: HTTP " + r.statusCode() + " " + in.readLine());
            }
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("data: [DONE]")) {
                    done = true;
                } else if (line.startsWith("data: ")) {
                    JsonObject chunk = JsonParser.parseString(line.substring(6)).getAsJsonObject();
                    if (chunk.has("error")) {
                        throw new IOException("chat stream: error event " + chunk);
                    }
                    if (chunk.has("usage")) {
                        tokens = chunk.getAsJsonObject("usage").get("completion_tokens").getAsLong();
                    }
                }
            }
        }
        if (!done || tokens < 0) {
            throw new IOException("chat stream ended without usage and [DONE]");
        }
        return tokens;
    }

    private static HttpResponse<String> post(HttpClient client, URI uri, String body)
            throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(300))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** {@code --url URL [--clients N] [--duration S] [--max-tokens N]}; prints the summary, exits 1 on errors. */
    public static void main(String[] args) throws Exception {
        URI url = URI.create("http://127.0.0.1:8080");
        int clients = 16;
        int seconds = 120;
        int maxTokens = 32;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            if (value == null) {
                throw new IllegalArgumentException("missing value after " + args[i]);
            }
            switch (args[i]) {
                case "--url" -> url = URI.create(value);
                case "--clients" -> clients = Integer.parseInt(value);
                case "--duration" -> seconds = Integer.parseInt(value);
                case "--max-tokens" -> maxTokens = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; expected "
                        + Arrays.asList("--url", "--clients", "--duration", "--max-tokens"));
            }
            i++;
        }
        Result r = run(new Options(url, clients, Duration.ofSeconds(seconds), maxTokens));
        System.out.println(r.summary());
        r.errorSamples().forEach(e -> System.out.println("error: " + e));
        System.exit(r.errors() == 0 && r.badRejections() == 0 ? 0 : 1);
    }
}

package dev.memdec.plugin.cli;

import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.plugin.RuntimeOptions;
import dev.memdec.plugin.mix.MixMode;
import dev.memdec.plugin.mix.Mixing;
import dev.memdec.plugin.server.ApiServer;
import dev.memdec.plugin.server.ChatTemplate;
import dev.memdec.plugin.server.RequestParser;
import dev.memdec.plugin.server.RuntimeEngine;
import dev.memdec.plugin.server.SlotScheduler;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code memdec serve}: the OpenAI-compatible HTTP server with the chat page at /. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a host model, with memories mixed in per request, over an OpenAI-compatible HTTP API.",
                "Endpoints: /v1/models, /v1/completions, /v1/chat/completions (stream or not), /health; a chat page at /.",
                "Per request: \"memory\": {\"enabled\": true, \"name\": \"NAME\", \"lambda\": 0.4, \"temperature\": 1.0}."})
public final class ServeCommand implements MemdecCommand {

    @Mixin
    RuntimeChoice runtimeChoice;
    @Option(names = "--host", required = true, paramLabel = "H.gguf", description = "Host model (GGUF).")
    Path host;

    @Option(names = "--memory", paramLabel = "NAME=M.gguf",
            description = "A memory, by name (repeatable; the first is the default; a bare path is named after its file).")
    List<String> memories = new ArrayList<>();

    @Option(names = "--port", defaultValue = "8080", description = "TCP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--parallel", defaultValue = "2", description = "Slots generating at once, each with its own KV cache (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--queue", defaultValue = "32", description = "Requests that may wait for a slot; more get 503 (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--timeout", defaultValue = "600", paramLabel = "S", description = "Per-request limit in seconds, queueing included (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--ctx", defaultValue = "0", paramLabel = "N", description = "Context per slot in tokens (default: the host's training context).")
    int ctx;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads per decode (default: all cores).")
    Integer threads;

    @Mixin
    GpuLayersOption gpuLayers;

    @Mixin
    MlpEngineOption mlpEngine;

    @Option(names = "--lambda", defaultValue = "" + Mixing.DEFAULT_LAMBDA, description = "λ for requests that do not set memory.lambda (default: ${DEFAULT-VALUE}).")
    double lambda;

    @Mixin
    MixFlag mix;

    @Option(names = "--max-body", defaultValue = "8388608", paramLabel = "BYTES", description = "Largest request body (default: ${DEFAULT-VALUE}).")
    int maxBody;

    /** A started server and what it runs on; closing stops all three. */
    record Running(RuntimeEngine engine, SlotScheduler scheduler, ApiServer server) implements AutoCloseable {
        @Override
        public void close() {
            server.close();
            scheduler.close();
            engine.close();
        }
    }

    @Override
    public Integer call() throws Exception {
        Running running = start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            stopped.countDown();
        }, "memdec-serve-shutdown"));
        System.out.println("memdec serve: " + running.engine().modelId() + " with memories "
                + running.engine().memoryNames() + ", " + parallel + " slots of " + running.engine().contextLength()
                + " tokens, listening on " + running.server().baseUri() + " (chat page at /)");
        System.out.flush();
        stopped.await();
        return 0;
    }

    /** Validates every flag, then loads the models and starts listening. */
    Running start() throws IOException {
        if (!Files.isRegularFile(host)) {
            throw new IllegalArgumentException("--host: no such file " + host);
        }
        if (!(lambda >= 0 && lambda <= 1)) {
            throw new IllegalArgumentException("--lambda must be in [0, 1], got " + lambda);
        }
        MixMode mode = mix.mode();
        if (ctx < 0) {
            throw new IllegalArgumentException("--ctx must be >= 0 (0 = the host's training context), got " + ctx);
        }
        Map<String, Path> named = memoryFiles(memories);
        ApiServer.Options options = new ApiServer.Options(bind, port, Duration.ofSeconds(timeoutSeconds), maxBody);
        SlotScheduler.checkLimits(parallel, queue);
        RuntimeOptions runtime = RuntimeOptions.defaults().withContextSize(ctx).withGpuLayers(gpuLayers.layers())
                .withMlpEngine(mlpEngine.engine());
        if (threads != null) {
            if (threads < 1) {
                throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
            }
            runtime = runtime.withThreads(threads);
        }
        if (!InetAddress.getByName(bind).isLoopbackAddress()) {
            System.err.println("memdec serve: warning: listening on " + bind + ", reachable from other machines");
        }
        RuntimeEngine engine = RuntimeEngine.open(host, named, runtime, parallel);
        SlotScheduler scheduler = null;
        try {
            scheduler = new SlotScheduler(engine, parallel, queue);
            RequestParser parser = new RequestParser(engine,
                    ChatTemplate.of(engine.chatTemplate(), engine.bosText(), engine.eosText()), lambda, mode);
            return new Running(engine, scheduler, ApiServer.start(engine, scheduler, parser, options));
        } catch (RuntimeException | IOException e) {
            if (scheduler != null) {
                scheduler.close();
            }
            engine.close();
            throw e;
        }
    }

    /** NAME=PATH pairs (or bare paths, named after the file) in order; names must be unique. */
    static Map<String, Path> memoryFiles(List<String> specs) {
        Map<String, Path> named = new LinkedHashMap<>();
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            Path path = Path.of(eq < 0 ? spec : spec.substring(eq + 1));
            String name = eq < 0 ? path.getFileName().toString().replaceFirst("(?i)\\.gguf$", "") : spec.substring(0, eq);
            if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new IllegalArgumentException("--memory " + spec + ": the name must be 1-64 of A-Z a-z 0-9 . _ -");
            }
            if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException("--memory " + spec + ": no such file " + path);
            }
            if (named.putIfAbsent(name, path) != null) {
                throw new IllegalArgumentException("--memory " + spec + ": the name '" + name + "' is used twice");
            }
        }
        return named;
    }
}

package dev.memdec.plugin.cli;

import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.plugin.chat.TerminalChat;
import dev.memdec.plugin.mix.MixMode;
import dev.memdec.plugin.mix.Mixing;
import dev.memdec.plugin.server.RuntimeEngine;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code memdec chat}: a streaming chat in the terminal, with the memory switchable between turns. */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Chat with a host model in the terminal, a memory mixed in; answers stream as they are generated.",
                "Commands: /lambda X, /mix prob|logit, /memory on|off, /reset, /quit. Reads stdin, so it can be scripted."})
public final class ChatCommand implements MemdecCommand {

    @Mixin
    RuntimeChoice runtimeChoice;
    @Mixin
    RuntimeFlags flags;

    @Mixin
    MixFlag mix;

    @Option(names = "--ctx", defaultValue = "0", paramLabel = "N", description = "Context in tokens (default: the host's training context).")
    int ctx;

    @Option(names = "--lambda", defaultValue = "" + Mixing.DEFAULT_LAMBDA, description = "Starting λ (default: ${DEFAULT-VALUE}).")
    double lambda;

    @Option(names = "--temperature", defaultValue = "0.8", description = "Sampling temperature, 0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "0.95", description = "Nucleus sampling mass (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", description = "Sampling seed (default: random).")
    Long seed;

    @Option(names = "--max-tokens", defaultValue = "256", description = "Longest answer in tokens (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--timeout", defaultValue = "600", paramLabel = "S", description = "Longest answer in seconds (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(flags.host)) {
            throw new IllegalArgumentException("--host: no such file " + flags.host);
        }
        if (flags.memory != null && !Files.isRegularFile(flags.memory)) {
            throw new IllegalArgumentException("--memory: no such file " + flags.memory);
        }
        MixMode mode = mix.mode();
        if (!(lambda >= 0 && lambda <= 1)) {
            throw new IllegalArgumentException("--lambda must be in [0, 1], got " + lambda);
        }
        if (!(temperature >= 0 && temperature <= 2)) {
            throw new IllegalArgumentException("--temperature must be in [0, 2], got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("--top-p must be in (0, 1], got " + topP);
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be >= 1, got " + maxTokens);
        }
        if (timeoutSeconds < 1) {
            throw new IllegalArgumentException("--timeout must be >= 1 second, got " + timeoutSeconds);
        }
        Optional<String> memoryName = Optional.ofNullable(flags.memory)
                .map(p -> p.getFileName().toString().replaceFirst("(?i)\\.gguf$", ""));
        TerminalChat.Settings settings = new TerminalChat.Settings(memoryName, lambda, mode, memoryName.isPresent(),
                temperature, topP, seed != null ? seed : ThreadLocalRandom.current().nextLong(), maxTokens,
                Duration.ofSeconds(timeoutSeconds));
        Map<String, java.nio.file.Path> memories = memoryName.map(n -> Map.of(n, flags.memory)).orElse(Map.of());
        try (RuntimeEngine engine = RuntimeEngine.open(flags.host, memories, flags.options(ctx), 1)) {
            PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
            new TerminalChat(engine, settings,
                    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), out).run();
        }
        return 0;
    }
}

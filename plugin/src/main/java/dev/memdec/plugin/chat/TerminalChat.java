package dev.memdec.plugin.chat;

import dev.memdec.plugin.mix.MixMode;
import dev.memdec.plugin.server.ApiException;
import dev.memdec.plugin.server.ChatMessage;
import dev.memdec.plugin.server.ChatTemplate;
import dev.memdec.plugin.server.CompletionEngine;
import dev.memdec.plugin.server.CompletionRun;
import dev.memdec.plugin.server.SlotRequest;
import dev.memdec.plugin.server.MemorySelection;
import dev.memdec.plugin.server.SamplingParams;
import dev.memdec.plugin.server.SlotScheduler;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A chat in the terminal: reads lines, streams the answer as it is generated, and understands
 * {@code /lambda X}, {@code /mix prob|logit}, {@code /memory on|off}, {@code /reset}, {@code /help} and {@code /quit}. Generation goes
 * through the same slot scheduler and text handling as the HTTP server (one slot, so each turn reuses the
 * previous turn's KV cache).
 */
public final class TerminalChat {
    /** How often the reading loop looks at the generation while it waits. */
    private static final Duration POLL = Duration.ofMillis(200);

    /** What the chat starts with; all can be changed between turns except the memory's name and sampling. */
    public record Settings(Optional<String> memoryName, double lambda, MixMode mix, boolean memoryOn,
                           double temperature, double topP, long seed, int maxTokens, Duration timeout) {
        public Settings {
            checkLambda(lambda);
            if (mix == null) {
                throw new IllegalArgumentException("the mix mode must not be null");
            }
            new SamplingParams(temperature, topP, seed, -1); // refuses a bad temperature or top-p up front
            if (maxTokens < 1) {
                throw new IllegalArgumentException("--max-tokens must be at least 1, got " + maxTokens);
            }
            if (memoryOn && memoryName.isEmpty()) {
                throw new IllegalArgumentException("the memory cannot be on without a --memory file");
            }
        }
    }

    private final CompletionEngine engine;
    private final ChatTemplate template;
    private final BufferedReader in;
    private final PrintWriter out;
    private final List<ChatMessage> history = new ArrayList<>();
    private Settings settings;

    public TerminalChat(CompletionEngine engine, Settings settings, BufferedReader in, PrintWriter out) {
        this.engine = engine;
        this.settings = settings;
        this.template = ChatTemplate.of(engine.chatTemplate(), engine.bosText(), engine.eosText());
        this.in = in;
        this.out = out;
    }

    /** Runs until /quit or the end of input. */
    public void run() throws IOException, InterruptedException {
        try (SlotScheduler scheduler = new SlotScheduler(engine, 1, 1)) {
            out.println("memdec chat with " + engine.modelId() + " (" + describeMemory() + "). /help lists commands.");
            out.flush();
            while (true) {
                out.print("> ");
                out.flush();
                String line = in.readLine();
                if (line == null) {
                    return;
                }
                line = line.strip();
                if (line.isEmpty()) {
                    continue;
                }
                if (line.startsWith("/")) {
                    if (!command(line)) {
                        return;
                    }
                    continue;
                }
                turn(scheduler, line);
            }
        }
    }

    /** Handles a slash command; false for /quit. */
    private boolean command(String line) {
        String[] words = line.split("\\s+");
        switch (words[0]) {
            case "/quit", "/exit" -> {
                return false;
            }
            case "/reset" -> {
                history.clear();
                out.println("conversation cleared");
            }
            case "/lambda" -> {
                if (words.length != 2) {
                    out.println("usage: /lambda X   with X in [0, 1]");
                } else {
                    try {
                        double lambda = Double.parseDouble(words[1]);
                        checkLambda(lambda);
                        settings = with(settings.memoryOn(), lambda, settings.mix());
                        out.println("lambda = " + lambda);
                    } catch (IllegalArgumentException e) {
                        out.println("bad lambda '" + words[1] + "': expected a number in [0, 1]");
                    }
                }
            }
            case "/memory" -> {
                if (words.length != 2 || !(words[1].equals("on") || words[1].equals("off"))) {
                    out.println("usage: /memory on|off");
                } else if (words[1].equals("on") && settings.memoryName().isEmpty()) {
                    out.println("no memory loaded (start with --memory FILE)");
                } else {
                    settings = with(words[1].equals("on"), settings.lambda(), settings.mix());
                    out.println(describeMemory());
                }
            }
            case "/mix" -> {
                if (words.length != 2 || !(words[1].equals("prob") || words[1].equals("logit"))) {
                    out.println("usage: /mix prob|logit");
                } else {
                    settings = with(settings.memoryOn(), settings.lambda(), MixMode.parse(words[1], "/mix"));
                    out.println("mix = " + settings.mix().jsonName());
                }
            }
            case "/help" -> out.println("commands: /lambda X (0..1), /mix prob|logit, /memory on|off, /reset, /quit");
            default -> out.println("unknown command " + words[0] + "; /help lists commands");
        }
        out.flush();
        return true;
    }

    private Settings with(boolean memoryOn, double lambda, MixMode mix) {
        Settings s = settings;
        return new Settings(s.memoryName(), lambda, mix, memoryOn, s.temperature(), s.topP(), s.seed(), s.maxTokens(),
                s.timeout());
    }

    private String describeMemory() {
        return settings.memoryOn()
                ? "memory " + settings.memoryName().orElseThrow() + " on, lambda " + settings.lambda() + ", mix "
                        + settings.mix().jsonName()
                : settings.memoryName().map(n -> "memory " + n + " off").orElse("no memory");
    }

    private void turn(SlotScheduler scheduler, String message) throws InterruptedException {
        history.add(new ChatMessage("user", message));
        int[] prompt;
        try {
            prompt = template.prompt(history, engine);
        } catch (IllegalArgumentException e) {
            history.removeLast();
            out.println("error: " + e.getMessage());
            return;
        }
        int room = engine.contextLength() - prompt.length;
        if (room < 1) {
            history.removeLast();
            out.println("error: the conversation (" + prompt.length + " tokens) no longer fits the context of "
                    + engine.contextLength() + "; /reset starts over");
            out.flush();
            return;
        }
        MemorySelection memory = settings.memoryOn()
                ? MemorySelection.of(settings.memoryName().orElseThrow(), settings.lambda(), 1.0, settings.mix())
                : MemorySelection.none();
        SamplingParams sampling = new SamplingParams(settings.temperature(), settings.topP(),
                settings.seed() + history.size(), -1);
        CompletionRun run = new CompletionRun(scheduler.submit(new SlotRequest(prompt, sampling, memory,
                Math.min(settings.maxTokens(), room), Instant.now().plus(settings.timeout()))), engine,
                template.stopStrings());
        try {
            while (!run.isDone()) {
                CompletionRun.Delta delta = run.next(POLL);
                if (delta != null && !delta.text().isEmpty()) {
                    out.print(delta.text());
                    out.flush();
                }
            }
            out.println();
            history.add(new ChatMessage("assistant", run.text()));
        } catch (ApiException e) {
            out.println();
            out.println("error: " + e.getMessage());
            history.removeLast();
        } finally {
            run.cancel();
            out.flush();
        }
    }

    private static void checkLambda(double lambda) {
        if (!(lambda >= 0 && lambda <= 1)) {
            throw new IllegalArgumentException("lambda must be in [0, 1], got " + lambda);
        }
    }
}

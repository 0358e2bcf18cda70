package dev.memdec.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.LangChain4jException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.memdec.plugin.server.ApiException;
import dev.memdec.plugin.server.ChatTemplate;
import dev.memdec.plugin.server.CompletionEngine;
import dev.memdec.plugin.server.CompletionRun;
import dev.memdec.plugin.server.MemorySelection;
import dev.memdec.plugin.server.SamplingParams;
import dev.memdec.plugin.server.ServerBusyException;
import dev.memdec.plugin.server.SlotRequest;
import dev.memdec.plugin.server.SlotScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * One LangChain4j chat request run on the memdec runtime: checks that it asks only for what memdec does (text in,
 * text out: no tools, images, audio, video, PDFs, JSON mode or penalties), renders the conversation with the host's
 * chat template, samples through the shared scheduler and answers as a {@link ChatResponse}.
 */
final class Turns {

    private static final Duration POLL = Duration.ofMillis(100);

    private final CompletionEngine engine;
    private final SlotScheduler scheduler;
    private final ChatTemplate template;
    private final MemdecModels.Settings settings;
    private final boolean withMemory;

    Turns(CompletionEngine engine, SlotScheduler scheduler, ChatTemplate template, MemdecModels.Settings settings,
          boolean withMemory) {
        this.engine = engine;
        this.scheduler = scheduler;
        this.template = template;
        this.settings = settings;
        this.withMemory = withMemory;
    }

    ChatRequestParameters defaults() {
        return settings.defaults();
    }

    /** A started generation of {@code request}; validation happens here, before anything is queued. */
    Running start(ChatRequest request) {
        ChatRequestParameters p = request.parameters();
        refuseUnsupported(p);
        List<dev.memdec.plugin.server.ChatMessage> messages = messages(request.messages());
        int[] prompt;
        try {
            prompt = template.prompt(messages, engine);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("the host's chat template refused the messages: " + e.getMessage());
        }
        int room = engine.contextLength() - prompt.length;
        if (room < 1) {
            throw new InvalidRequestException("the conversation has " + prompt.length + " tokens but the context holds "
                    + engine.contextLength() + " (and at least one must be left to generate)");
        }
        int maxTokens = p.maxOutputTokens() != null ? p.maxOutputTokens() : settings.defaults().maxOutputTokens();
        if (maxTokens < 1) {
            throw new InvalidRequestException("maxOutputTokens must be >= 1, got " + maxTokens);
        }
        SamplingParams sampling;
        try {
            sampling = sampling(p, settings, messages.size());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(e.getMessage());
        }
        MemorySelection memory = withMemory && settings.memory().isPresent()
                ? MemorySelection.of(settings.memory().get(), settings.lambda(), 1.0) : MemorySelection.none();
        List<String> stops = new ArrayList<>(template.stopStrings());
        if (p.stopSequences() != null) {
            p.stopSequences().stream().filter(s -> !s.isEmpty() && !stops.contains(s)).forEach(stops::add);
        }
        SlotRequest slot = new SlotRequest(prompt, sampling, memory, Math.min(maxTokens, room),
                Instant.now().plus(settings.timeout()));
        try {
            return new Running(new CompletionRun(scheduler.submit(slot), engine, stops));
        } catch (ServerBusyException e) {
            throw new RateLimitException(e.getMessage());
        }
    }

    /** The sampler settings of a request: its parameters over the models' defaults; turn n seeds with seed + n. */
    static SamplingParams sampling(ChatRequestParameters p, MemdecModels.Settings settings, int turn) {
        ChatRequestParameters d = settings.defaults();
        double temperature = p.temperature() != null ? p.temperature() : d.temperature();
        int topK = p.topK() != null ? p.topK() : d.topK();
        double topP = p.topP() != null ? p.topP() : d.topP();
        return new SamplingParams(temperature, topK, topP, settings.minP(), settings.seed() + turn, -1);
    }

    private static void refuseUnsupported(ChatRequestParameters p) {
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            throw unsupported("tools (tool specifications)");
        }
        if (p.toolChoice() != null) {
            throw unsupported("tools (tool choice " + p.toolChoice() + ")");
        }
        ResponseFormat format = p.responseFormat();
        if (format != null && format.type() != ResponseFormatType.TEXT) {
            throw unsupported("the JSON response format");
        }
        if (p.frequencyPenalty() != null && p.frequencyPenalty() != 0) {
            throw unsupported("frequencyPenalty");
        }
        if (p.presencePenalty() != null && p.presencePenalty() != 0) {
            throw unsupported("presencePenalty");
        }
    }

    /** LangChain4j's messages as memdec's (role, text) pairs; anything but text is refused, naming it. */
    private static List<dev.memdec.plugin.server.ChatMessage> messages(List<ChatMessage> messages) {
        List<dev.memdec.plugin.server.ChatMessage> out = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            out.add(switch (m) {
                case SystemMessage s -> new dev.memdec.plugin.server.ChatMessage("system", s.text());
                case UserMessage u -> new dev.memdec.plugin.server.ChatMessage("user", text(u));
                case AiMessage a -> {
                    if (a.hasToolExecutionRequests()) {
                        throw unsupported("tools (an AiMessage with tool execution requests)");
                    }
                    yield new dev.memdec.plugin.server.ChatMessage("assistant", a.text() == null ? "" : a.text());
                }
                default -> throw unsupported(switch (m.type()) {
                    case TOOL_EXECUTION_RESULT -> "tools (a ToolExecutionResultMessage)";
                    default -> m.type().name().toLowerCase(Locale.ROOT) + " messages";
                });
            });
        }
        return out;
    }

    private static String text(UserMessage u) {
        StringBuilder text = new StringBuilder();
        for (Content c : u.contents()) {
            if (!(c instanceof TextContent t)) {
                throw unsupported(switch (c.type()) {
                    case IMAGE -> "images (ImageContent)";
                    case AUDIO -> "audio (AudioContent)";
                    case VIDEO -> "video (VideoContent)";
                    case PDF -> "PDF files (PdfFileContent)";
                    default -> c.type() + " content";
                });
            }
            text.append(t.text());
        }
        return text.toString();
    }

    private static UnsupportedFeatureException unsupported(String feature) {
        return new UnsupportedFeatureException("memdec does not support " + feature + ": its models take and give "
                + "text only");
    }

    /** A generation in progress. */
    static final class Running {
        private final CompletionRun run;

        Running(CompletionRun run) {
            this.run = run;
        }

        /**
         * Waits for the whole answer, handing each new piece of text to {@code partial}, and returns it.
         *
         * @throws LangChain4jException when the generation failed or timed out
         */
        ChatResponse finish(Consumer<String> partial) throws InterruptedException {
            try {
                while (!run.isDone()) {
                    CompletionRun.Delta delta = run.next(POLL);
                    if (delta != null && !delta.text().isEmpty()) {
                        partial.accept(delta.text());
                    }
                }
            } catch (ApiException e) {
                throw new LangChain4jException(e.getMessage(), e);
            } finally {
                run.cancel();
            }
            CompletionRun.Usage usage = run.usage();
            return ChatResponse.builder()
                    .aiMessage(AiMessage.from(run.text()))
                    .tokenUsage(new TokenUsage(usage.promptTokens(), usage.completionTokens()))
                    .finishReason("length".equals(run.finishReason()) ? FinishReason.LENGTH : FinishReason.STOP)
                    .build();
        }
    }
}

package dev.memdec.plugin.server;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The serving side of one generation: reads the scheduler's events, turns tokens into text (UTF-8 and stop
 * strings via {@link CompletionText}) and logprobs, and knows the usage counts and the finish reason. Shared by
 * the HTTP server (streaming and not) and the terminal chat.
 */
public final class CompletionRun {
    private final GenerationHandle generation;
    private final CompletionEngine engine;
    private final CompletionText text;
    private final boolean wantsLogprobs;
    private int promptTokens;
    private int cachedPromptTokens;
    private int completionTokens;
    private String finishReason;
    private final long submittedNanos = System.nanoTime();
    private long startedNanos;
    private long finishedNanos;

    public CompletionRun(GenerationHandle generation, CompletionEngine engine, List<String> stops) {
        this.generation = generation;
        this.engine = engine;
        this.text = new CompletionText(stops);
        this.wantsLogprobs = generation.request().sampling().wantsLogprobs();
        this.promptTokens = generation.request().prompt().length;
    }

    /** A piece of the answer: text to show now and the logprobs of the tokens that arrived with it. */
    public record Delta(String text, List<TokenLogprobs> logprobs) {
        public boolean isEmpty() {
            return text.isEmpty() && logprobs.isEmpty();
        }
    }

    /** A sampled token's text, bytes and log-probability, with the top alternatives. */
    public record TokenLogprobs(String token, byte[] bytes, double logprob, List<Alternative> top) {}

    /** An alternative token and its log-probability. */
    public record Alternative(String token, byte[] bytes, double logprob) {}

    /** Usage counts in OpenAI's sense. */
    public record Usage(int promptTokens, int completionTokens, int cachedPromptTokens) {}

    /**
     * Timings in llama-server's sense: prompt tokens decoded (the cached prefix excluded) and the time until they
     * were, queueing included; tokens generated and the time that took.
     */
    public record Timings(int promptTokens, double promptMillis, int predictedTokens, double predictedMillis) {
        public double predictedPerSecond() {
            return predictedMillis <= 0 ? 0 : predictedTokens * 1000.0 / predictedMillis;
        }
    }

    /**
     * Waits up to {@code wait} for the next event. Returns the delta it produced (possibly empty), or null when no
     * event arrived in time. After {@link #isDone()}, returns an empty delta.
     *
     * @throws ApiException when the generation failed or timed out
     */
    public Delta next(Duration wait) throws InterruptedException {
        if (isDone()) {
            return new Delta("", List.of());
        }
        if (Instant.now().isAfter(generation.request().deadline().plusSeconds(1))) {
            // The scheduler enforces the deadline too; this covers a request stuck behind a full queue.
            generation.cancel();
            throw timeout();
        }
        GenerationEvent event = generation.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        return switch (event) {
            case null -> null;
            case GenerationEvent.Started started -> {
                promptTokens = started.promptTokens();
                cachedPromptTokens = started.cachedPromptTokens();
                startedNanos = System.nanoTime();
                yield new Delta("", List.of());
            }
            case GenerationEvent.Token token -> onToken(token.token());
            case GenerationEvent.Finished finished -> onFinished(finished.reason());
            case GenerationEvent.Failed failed -> throw failure(failed.error());
        };
    }

    private Delta onToken(TokenEvent token) {
        completionTokens++;
        List<TokenLogprobs> logprobs = wantsLogprobs ? List.of(logprobs(token)) : List.of();
        if (token.endOfGeneration()) {
            return new Delta("", logprobs);
        }
        String piece = text.append(engine.tokenBytes(token.token()));
        if (text.stopped()) {
            generation.cancel();
            finishReason = "stop";
            finishedNanos = System.nanoTime();
        }
        return new Delta(piece, logprobs);
    }

    private Delta onFinished(GenerationEvent.FinishReason reason) {
        String rest = text.finish();
        finishedNanos = System.nanoTime();
        finishReason = switch (reason) {
            case STOP, CANCELLED -> "stop";
            case LENGTH -> "length";
            case TIMEOUT -> throw timeout();
        };
        return new Delta(rest, List.of());
    }

    private TokenLogprobs logprobs(TokenEvent token) {
        byte[] bytes = engine.tokenBytes(token.token());
        List<Alternative> top = new ArrayList<>(token.topLogprobs().size());
        for (TokenEvent.TokenLogprob alt : token.topLogprobs()) {
            byte[] b = engine.tokenBytes(alt.token());
            top.add(new Alternative(new String(b, StandardCharsets.UTF_8), b, alt.logprob()));
        }
        return new TokenLogprobs(new String(bytes, StandardCharsets.UTF_8), bytes, token.logprob(), top);
    }

    private ApiException timeout() {
        finishReason = "timeout";
        return new ApiException(504, "timeout_error", null, "timeout",
                "the request did not finish before its deadline (--timeout); " + completionTokens + " tokens were generated");
    }

    private ApiException failure(RuntimeException error) {
        finishReason = "error";
        if (error instanceof IllegalArgumentException) {
            return new ApiException(400, "invalid_request_error", null, "invalid_value", error.getMessage());
        }
        return new ApiException(500, "server_error", null, "generation_failed",
                "generation failed: " + (error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage()));
    }

    /** True once the finish reason is known (stop string, end of generation, length). */
    public boolean isDone() {
        return finishReason != null;
    }

    /** "stop" or "length" once done; null before. */
    public String finishReason() {
        return finishReason;
    }

    public Usage usage() {
        return new Usage(promptTokens, completionTokens, cachedPromptTokens);
    }

    /** Timings of a finished run (zeros for what did not happen). */
    public Timings timings() {
        long started = startedNanos == 0 ? submittedNanos : startedNanos;
        long finished = finishedNanos == 0 ? started : finishedNanos;
        return new Timings(promptTokens - cachedPromptTokens, (started - submittedNanos) / 1e6, completionTokens,
                (finished - started) / 1e6);
    }

    /** All text produced so far. */
    public String text() {
        return text.text();
    }

    /** Gives up on the generation (client gone); its slot frees within one decode step. */
    public void cancel() {
        generation.cancel();
    }
}

package dev.memdec.plugin.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.util.List;

/** Builds response bodies in the shapes OpenAI's (and llama-server's) clients expect. */
final class OpenAiJson {
    private final CompletionJob job;
    private final String id;
    private final long created;

    OpenAiJson(CompletionJob job, String id, long created) {
        this.job = job;
        this.id = id;
        this.created = created;
    }

    /** The whole answer, for a non-streaming request. */
    JsonObject complete(String text, List<CompletionRun.TokenLogprobs> logprobs, String finishReason,
                        CompletionRun.Usage usage, CompletionRun.Timings timings) {
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        if (job.chat()) {
            JsonObject message = new JsonObject();
            message.addProperty("role", "assistant");
            message.addProperty("content", text);
            choice.add("message", message);
        } else {
            choice.addProperty("text", text);
        }
        choice.add("logprobs", logprobs(logprobs));
        choice.addProperty("finish_reason", finishReason);
        JsonObject body = envelope(job.chat() ? "chat.completion" : "text_completion");
        body.add("choices", single(choice));
        body.add("usage", usage(usage));
        body.add("timings", timings(timings));
        return body;
    }

    /** The last streamed chunk: the finish reason and, as llama-server sends them, the timings. */
    JsonObject finalChunk(String text, List<CompletionRun.TokenLogprobs> logprobs, String finishReason,
                          CompletionRun.Timings timings) {
        JsonObject chunk = chunk(text, logprobs, false, finishReason);
        chunk.add("timings", timings(timings));
        return chunk;
    }

    private static JsonObject timings(CompletionRun.Timings t) {
        JsonObject o = new JsonObject();
        o.addProperty("prompt_n", t.promptTokens());
        o.addProperty("prompt_ms", t.promptMillis());
        o.addProperty("predicted_n", t.predictedTokens());
        o.addProperty("predicted_ms", t.predictedMillis());
        o.addProperty("predicted_per_second", t.predictedPerSecond());
        return o;
    }

    /** A streamed chunk carrying text (or, for chat, the role), and the finish reason on the last one. */
    JsonObject chunk(String text, List<CompletionRun.TokenLogprobs> logprobs, boolean firstChatChunk,
                     String finishReason) {
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        if (job.chat()) {
            JsonObject delta = new JsonObject();
            if (firstChatChunk) {
                delta.addProperty("role", "assistant");
            }
            if (!text.isEmpty() || firstChatChunk) {
                delta.addProperty("content", text);
            }
            choice.add("delta", delta);
        } else {
            choice.addProperty("text", text);
        }
        choice.add("logprobs", logprobs.isEmpty() ? JsonNull.INSTANCE : logprobs(logprobs));
        choice.addProperty("finish_reason", finishReason);
        JsonObject body = envelope(job.chat() ? "chat.completion.chunk" : "text_completion");
        body.add("choices", single(choice));
        return body;
    }

    /** The usage chunk sent last when stream_options.include_usage is set (its choices are empty). */
    JsonObject usageChunk(CompletionRun.Usage usage) {
        JsonObject body = envelope(job.chat() ? "chat.completion.chunk" : "text_completion");
        body.add("choices", new JsonArray());
        body.add("usage", usage(usage));
        return body;
    }

    private JsonObject envelope(String object) {
        JsonObject body = new JsonObject();
        body.addProperty("id", id);
        body.addProperty("object", object);
        body.addProperty("created", created);
        body.addProperty("model", job.model());
        body.add("memory", memory(job.memory()));
        return body;
    }

    /** memdec's extension: which memory was mixed in and how, null for host only. */
    static JsonElement memory(MemorySelection memory) {
        if (!memory.enabled()) {
            return JsonNull.INSTANCE;
        }
        JsonObject m = new JsonObject();
        m.addProperty("name", memory.name().orElseThrow());
        m.addProperty("lambda", memory.lambda());
        m.addProperty("temperature", memory.temperature());
        m.addProperty("mix", memory.mix().jsonName());
        return m;
    }

    private static JsonObject usage(CompletionRun.Usage usage) {
        JsonObject u = new JsonObject();
        u.addProperty("prompt_tokens", usage.promptTokens());
        u.addProperty("completion_tokens", usage.completionTokens());
        u.addProperty("total_tokens", usage.promptTokens() + usage.completionTokens());
        JsonObject details = new JsonObject();
        details.addProperty("cached_tokens", usage.cachedPromptTokens());
        u.add("prompt_tokens_details", details);
        return u;
    }

    private JsonElement logprobs(List<CompletionRun.TokenLogprobs> logprobs) {
        if (job.topLogprobs() < 0) {
            return JsonNull.INSTANCE;
        }
        return job.chat() ? chatLogprobs(logprobs) : completionLogprobs(logprobs);
    }

    /** Chat shape: {"content": [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]}. */
    private static JsonObject chatLogprobs(List<CompletionRun.TokenLogprobs> logprobs) {
        JsonArray content = new JsonArray();
        for (CompletionRun.TokenLogprobs t : logprobs) {
            JsonObject entry = alternative(t.token(), t.bytes(), t.logprob());
            JsonArray top = new JsonArray();
            t.top().forEach(a -> top.add(alternative(a.token(), a.bytes(), a.logprob())));
            entry.add("top_logprobs", top);
            content.add(entry);
        }
        JsonObject o = new JsonObject();
        o.add("content", content);
        return o;
    }

    private static JsonObject alternative(String token, byte[] bytes, double logprob) {
        JsonObject o = new JsonObject();
        o.addProperty("token", token);
        o.addProperty("logprob", logprob);
        JsonArray b = new JsonArray();
        for (byte x : bytes) {
            b.add(x & 0xff);
        }
        o.add("bytes", b);
        return o;
    }

    /** Legacy completions shape: parallel arrays tokens, token_logprobs, top_logprobs (token → logprob maps). */
    private static JsonObject completionLogprobs(List<CompletionRun.TokenLogprobs> logprobs) {
        JsonArray tokens = new JsonArray();
        JsonArray tokenLogprobs = new JsonArray();
        JsonArray top = new JsonArray();
        for (CompletionRun.TokenLogprobs t : logprobs) {
            tokens.add(t.token());
            tokenLogprobs.add(t.logprob());
            JsonObject alternatives = new JsonObject();
            t.top().forEach(a -> alternatives.addProperty(a.token(), a.logprob()));
            top.add(alternatives);
        }
        JsonObject o = new JsonObject();
        o.add("tokens", tokens);
        o.add("token_logprobs", tokenLogprobs);
        o.add("top_logprobs", top);
        return o;
    }

    private static JsonArray single(JsonObject choice) {
        JsonArray choices = new JsonArray();
        choices.add(choice);
        return choices;
    }
}

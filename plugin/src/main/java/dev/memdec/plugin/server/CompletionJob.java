package dev.memdec.plugin.server;

import java.util.List;

/**
 * A validated /v1/completions or /v1/chat/completions request.
 *
 * @param chat           true for chat completions (response shapes differ)
 * @param model          the model name the client sent (echoed back), or the server's
 * @param prompt         prompt tokens (for chat: the rendered template)
 * @param maxTokens      the most tokens to generate
 * @param stops          stop strings (client's plus the template's)
 * @param topLogprobs    -1: no logprobs; otherwise how many alternatives per token
 * @param stream         server-sent events instead of one JSON body
 * @param includeUsage   streaming: send a last chunk with usage (stream_options.include_usage)
 */
public record CompletionJob(boolean chat, String model, int[] prompt, SamplingParams sampling, MemorySelection memory,
                            int maxTokens, List<String> stops, int topLogprobs, boolean stream, boolean includeUsage) {
    public CompletionJob {
        stops = List.copyOf(stops);
    }
}

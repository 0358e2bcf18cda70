package dev.memdec.plugin.server;

import java.time.Instant;
import java.util.Objects;

/**
 * One generation as the scheduler runs it: already tokenized and validated.
 *
 * @param prompt    prompt tokens, non-empty, shorter than the context
 * @param maxTokens the most tokens to sample (end-of-generation included), at least 1
 * @param deadline  when the request is abandoned, queued or running
 */
public record SlotRequest(int[] prompt, SamplingParams sampling, MemorySelection memory, int maxTokens,
                                Instant deadline) {
    public SlotRequest {
        Objects.requireNonNull(sampling, "sampling");
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(deadline, "deadline");
        if (prompt.length == 0) {
            throw new IllegalArgumentException("prompt must contain at least one token");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max_tokens must be at least 1, got " + maxTokens);
        }
    }
}

package dev.memdec.plugin.server;

/**
 * One generation slot: a KV cache (host and memory) that remembers which tokens it holds, so that the next
 * request can reuse the common prefix (multi-turn chat re-sends the whole conversation). One stream at a time.
 */
public interface EngineSlot extends AutoCloseable {

    /** Tokens whose keys and values are in this slot's cache now, in order. */
    int[] cachedTokens();

    /**
     * Starts generating after {@code prompt}. Reuses the longest common prefix of {@link #cachedTokens()} and the
     * prompt, decodes the rest, then yields one sampled token per {@link TokenStream#next()}. The stream ends after
     * an end-of-generation token, when the context is full, or when {@code cancel} is set. A previous stream of
     * this slot must have been closed.
     *
     * @throws IllegalArgumentException when the prompt is empty or does not fit the context
     * @throws IllegalArgumentException when the memory selection names a memory that is not loaded
     */
    TokenStream stream(int[] prompt, SamplingParams sampling, MemorySelection memory, CancellationToken cancel);

    /** Forgets the cached tokens (the next stream decodes its whole prompt). */
    void clear();

    @Override
    void close();
}

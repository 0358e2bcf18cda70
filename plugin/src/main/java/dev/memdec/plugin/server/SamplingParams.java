package dev.memdec.plugin.server;

/**
 * How to pick each token from the (mixed) distribution.
 *
 * @param temperature   0 means greedy; otherwise in (0, 2]
 * @param topK          keep only the k most likely tokens; 0 keeps every token
 * @param topP          nucleus cut-off in (0, 1]; 1 keeps every token
 * @param minP          keep tokens with p &gt;= minP · p_max, in [0, 1); 0 keeps every token
 * @param seed          seed of the sampler's random generator
 * @param topLogprobs   how many alternatives each {@link TokenEvent} reports; -1 means no logprobs at all
 */
public record SamplingParams(double temperature, int topK, double topP, double minP, long seed, int topLogprobs) {
    /** The most alternatives a client may ask for (as OpenAI's chat API). */
    public static final int MAX_TOP_LOGPROBS = dev.memdec.plugin.GenerationRequest.MAX_TOP_LOGPROBS;

    public SamplingParams {
        if (!(temperature >= 0 && temperature <= 2)) {
            throw new IllegalArgumentException("temperature must be in [0, 2], got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (!(minP >= 0 && minP < 1)) {
            throw new IllegalArgumentException("min_p must be in [0, 1), got " + minP);
        }
        if (topLogprobs < -1 || topLogprobs > MAX_TOP_LOGPROBS) {
            throw new IllegalArgumentException("top logprobs must be in [-1, " + MAX_TOP_LOGPROBS + "], got " + topLogprobs);
        }
    }

    /** Sampling without top-k or min-p (the OpenAI fields alone). */
    public SamplingParams(double temperature, double topP, long seed, int topLogprobs) {
        this(temperature, 0, topP, 0, seed, topLogprobs);
    }

    public boolean wantsLogprobs() {
        return topLogprobs >= 0;
    }
}

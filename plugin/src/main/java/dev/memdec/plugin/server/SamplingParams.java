package dev.memdec.plugin.server;

/**
 * How to pick each token from the (mixed) distribution.
 *
 * @param temperature   0 means greedy; otherwise in (0, 2]
 * @param topP          nucleus cut-off in (0, 1]; 1 keeps every token
 * @param seed          seed of the sampler's random generator
 * @param topLogprobs   how many alternatives each {@link TokenEvent} reports; -1 means no logprobs at all
 */
public record SamplingParams(double temperature, double topP, long seed, int topLogprobs) {
    /** The most alternatives a client may ask for (as OpenAI's chat API). */
    public static final int MAX_TOP_LOGPROBS = dev.memdec.plugin.GenerationRequest.MAX_TOP_LOGPROBS;

    public SamplingParams {
        if (!(temperature >= 0 && temperature <= 2)) {
            throw new IllegalArgumentException("temperature must be in [0, 2], got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (topLogprobs < -1 || topLogprobs > MAX_TOP_LOGPROBS) {
            throw new IllegalArgumentException("top logprobs must be in [-1, " + MAX_TOP_LOGPROBS + "], got " + topLogprobs);
        }
    }

    public boolean wantsLogprobs() {
        return topLogprobs >= 0;
    }
}

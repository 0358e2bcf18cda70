package dev.memdec.plugin;

/**
 * Where a generation's time went.
 *
 * @param promptTokens     prompt tokens decoded (after reusing a cached prefix)
 * @param promptMillis     prefill time, both models
 * @param generatedTokens  tokens sampled
 * @param generationMillis time of the generation loop: decodes, mixing and sampling
 * @param mixMillis        time inside the memory sampler (reading candidates, mixing, writing them back)
 */
public record Timings(int promptTokens, double promptMillis, int generatedTokens, double generationMillis,
        double mixMillis) {

    /** Prefill tokens per second (0 when nothing was decoded). */
    public double promptTokensPerSecond() {
        return promptMillis > 0 ? promptTokens * 1000.0 / promptMillis : 0;
    }

    /** Generated tokens per second (0 when nothing was generated). */
    public double tokensPerSecond() {
        return generationMillis > 0 ? generatedTokens * 1000.0 / generationMillis : 0;
    }
}

package dev.memdec.plugin;

import java.util.Map;
import java.util.Optional;

/**
 * llama.cpp's built-in samplers for one request; they run after the memory sampler, on the mixed distribution.
 * Chain order (as llama.cpp's common sampler): logit bias, grammar, penalties, then greedy, or top-k, top-p,
 * min-p, temperature and a seeded draw.
 *
 * @param temperature   0 = greedy (argmax); otherwise &gt; 0
 * @param topK          keep the k best (0 = off)
 * @param topP          nucleus mass in (0, 1] (1 = off)
 * @param minP          keep tokens with p ≥ minP · p_max, in [0, 1) (0 = off)
 * @param seed          RNG seed, or -1 for a random one
 * @param repeatPenalty ≥ 0 (1 = off)
 * @param repeatLastN   tokens the penalty looks back over (0 = off, -1 = the whole context)
 * @param grammar       a GBNF grammar with root rule {@code root}, or empty
 * @param logitBias     token id → bias added to its logit (-∞ bans it)
 */
public record Sampling(float temperature, int topK, float topP, float minP, int seed, float repeatPenalty,
        int repeatLastN, Optional<String> grammar, Map<Integer, Float> logitBias) {

    public Sampling {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0 (0 = greedy), got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        }
        if (!(minP >= 0 && minP < 1)) {
            throw new IllegalArgumentException("min-p must be in [0, 1), got " + minP);
        }
        if (seed < -1) {
            throw new IllegalArgumentException("seed must be >= 0, or -1 for a random seed, got " + seed);
        }
        if (!(repeatPenalty >= 0) || Float.isInfinite(repeatPenalty)) {
            throw new IllegalArgumentException("repeat penalty must be a finite number >= 0, got " + repeatPenalty);
        }
        if (repeatLastN < -1) {
            throw new IllegalArgumentException("repeat-last-n must be >= -1, got " + repeatLastN);
        }
        grammar = grammar.filter(g -> !g.isBlank());
        logitBias = Map.copyOf(logitBias);
    }

    /** Argmax of the mixed distribution. */
    public static Sampling greedy() {
        return new Sampling(0f, 0, 1f, 0f, -1, 1f, 64, Optional.empty(), Map.of());
    }

    /** llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, random seed, no penalty. */
    public static Sampling defaults() {
        return new Sampling(0.8f, 40, 0.95f, 0.05f, -1, 1f, 64, Optional.empty(), Map.of());
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public Sampling withTemperature(float t) {
        return new Sampling(t, topK, topP, minP, seed, repeatPenalty, repeatLastN, grammar, logitBias);
    }

    public Sampling withTopK(int k) {
        return new Sampling(temperature, k, topP, minP, seed, repeatPenalty, repeatLastN, grammar, logitBias);
    }

    public Sampling withTopP(float p) {
        return new Sampling(temperature, topK, p, minP, seed, repeatPenalty, repeatLastN, grammar, logitBias);
    }

    public Sampling withMinP(float p) {
        return new Sampling(temperature, topK, topP, p, seed, repeatPenalty, repeatLastN, grammar, logitBias);
    }

    public Sampling withSeed(int s) {
        return new Sampling(temperature, topK, topP, minP, s, repeatPenalty, repeatLastN, grammar, logitBias);
    }

    public Sampling withRepeatPenalty(float penalty, int lastN) {
        return new Sampling(temperature, topK, topP, minP, seed, penalty, lastN, grammar, logitBias);
    }

    /** Constrains output to a GBNF grammar whose start rule is {@code root}. */
    public Sampling withGrammar(String gbnf) {
        return new Sampling(temperature, topK, topP, minP, seed, repeatPenalty, repeatLastN, Optional.of(gbnf),
                logitBias);
    }

    public Sampling withLogitBias(Map<Integer, Float> bias) {
        return new Sampling(temperature, topK, topP, minP, seed, repeatPenalty, repeatLastN, grammar, bias);
    }
}

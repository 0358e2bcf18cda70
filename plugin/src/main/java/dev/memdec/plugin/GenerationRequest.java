package dev.memdec.plugin;

import dev.memdec.plugin.mix.Mixing;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One generation: the prompt, how to sample, how to mix the memory in, and when to stop.
 *
 * @param prompt    the text to continue (tokenized with the host's rules: a BOS is added where the model asks)
 * @param maxTokens the most tokens to generate, &gt;= 1
 * @param sampling  the built-in samplers that run on the mixed distribution
 * @param mixing    λ, memory temperature and mix mode; empty = {@link Mixing#DEFAULT_LAMBDA} when a memory is attached,
 *                  the host alone otherwise
 * @param stop      strings that end generation; the output stops right before the first one
 * @param topLogprobs -1: no log-probabilities (nothing is computed); 0..{@link #MAX_TOP_LOGPROBS}: every
 *                  {@link GeneratedToken} carries its {@link TokenLogprobs} with that many alternatives
 */
public record GenerationRequest(String prompt, int maxTokens, Sampling sampling, Optional<Mixing> mixing,
        List<String> stop, int topLogprobs) {

    /** The most alternatives per token (OpenAI's chat API allows 20; llama-server's n_probs has no fixed cap). */
    public static final int MAX_TOP_LOGPROBS = 20;

    public GenerationRequest {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt must not be null");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max tokens must be >= 1, got " + maxTokens);
        }
        if (sampling == null || mixing == null) {
            throw new IllegalArgumentException("sampling and mixing must not be null");
        }
        for (String s : stop) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
        stop = List.copyOf(stop);
        if (topLogprobs < -1 || topLogprobs > MAX_TOP_LOGPROBS) {
            throw new IllegalArgumentException("top logprobs must be in [-1, " + MAX_TOP_LOGPROBS + "], got "
                    + topLogprobs);
        }
    }

    /** A request without log-probabilities. */
    public GenerationRequest(String prompt, int maxTokens, Sampling sampling, Optional<Mixing> mixing,
            List<String> stop) {
        this(prompt, maxTokens, sampling, mixing, stop, -1);
    }

    public boolean wantsLogprobs() {
        return topLogprobs >= 0;
    }

    /** Greedy, 64 tokens, default mixing, no stop strings. */
    public static GenerationRequest of(String prompt) {
        return new GenerationRequest(prompt, 64, Sampling.greedy(), Optional.empty(), List.of());
    }

    public GenerationRequest withMaxTokens(int n) {
        return new GenerationRequest(prompt, n, sampling, mixing, stop, topLogprobs);
    }

    public GenerationRequest withSampling(Sampling s) {
        return new GenerationRequest(prompt, maxTokens, s, mixing, stop, topLogprobs);
    }

    public GenerationRequest withMixing(Mixing m) {
        return new GenerationRequest(prompt, maxTokens, sampling, Optional.of(m), stop, topLogprobs);
    }

    /** Sets λ keeping the memory temperature (1 if none was set) and the mix mode (prob if none was set). */
    public GenerationRequest withLambda(double lambda) {
        Mixing m = mixing.orElse(Mixing.hostOnly());
        return withMixing(new Mixing(lambda, m.memoryTemperature(), m.mode()));
    }

    public GenerationRequest withStop(String... strings) {
        List<String> all = new ArrayList<>(stop);
        all.addAll(List.of(strings));
        return new GenerationRequest(prompt, maxTokens, sampling, mixing, all, topLogprobs);
    }

    /** Asks for each token's log-probability and its {@code n} most likely alternatives (-1: none). */
    public GenerationRequest withTopLogprobs(int n) {
        return new GenerationRequest(prompt, maxTokens, sampling, mixing, stop, n);
    }
}

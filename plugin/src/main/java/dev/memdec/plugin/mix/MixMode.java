package dev.memdec.plugin.mix;

import java.util.Locale;

/**
 * How the memory's next-token distribution enters the host's.
 *
 * <ul>
 * <li>{@link #PROB}: the paper's mixture in probability space, computed in log space (reference-spec §7.1):
 *     {@code log p = logaddexp(log(1-λ) + log_softmax(z_host), log λ + log_softmax(z_mem / T_mem))}.</li>
 * <li>{@link #LOGIT}: a blend of the raw logits, then one softmax (the Gemma/Gradio MLP-memory demo's rule):
 *     {@code log p = log_softmax((1-λ)·z_host + λ·z_mem / T_mem)}. Each logit vector's additive constant
 *     cancels in the softmax, so the result depends on the models' logits only, not on how they are shifted.</li>
 * </ul>
 * In both modes λ = 0 is the host's log-softmax and λ = 1 the memory's (the other model is not read).
 */
public enum MixMode {
    PROB, LOGIT;

    /** The name on the command line and in JSON: {@code prob} or {@code logit}. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code prob} or {@code logit}.
     *
     * @param what the flag or field, for the message ({@code --mix}, {@code memory.mix})
     * @throws IllegalArgumentException naming {@code what} and the two values otherwise
     */
    public static MixMode parse(String value, String what) {
        for (MixMode m : values()) {
            if (m.jsonName().equals(value)) {
                return m;
            }
        }
        throw new IllegalArgumentException(what + " must be 'prob' or 'logit', got '" + value + "'");
    }
}

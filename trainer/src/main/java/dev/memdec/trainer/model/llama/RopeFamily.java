package dev.memdec.trainer.model.llama;

import java.util.Locale;

/**
 * The llama-shaped decoders llama.cpp runs from one graph with three switches: how RoPE pairs a head's
 * dimensions, whether Q/K/V carry biases, and whether Q and K are RMS-normalised per head before RoPE.
 */
public enum RopeFamily {
    /** llama.cpp {@code LLAMA_ROPE_TYPE_NORM}: dimensions 2i and 2i+1 rotate together (Q/K rows stored permuted from HF). */
    LLAMA(false, false, false),
    /** {@code LLAMA_ROPE_TYPE_NEOX}: dimensions i and i + d/2 rotate together; Q/K/V have biases. */
    QWEN2(true, true, false),
    /** NEOX RoPE, no biases, RMSNorm of each Q and K head ({@code attn_q_norm}, {@code attn_k_norm}). */
    QWEN3(true, false, true);

    private final boolean neoxRope;
    private final boolean qkvBias;
    private final boolean qkNorm;

    RopeFamily(boolean neoxRope, boolean qkvBias, boolean qkNorm) {
        this.neoxRope = neoxRope;
        this.qkvBias = qkvBias;
        this.qkNorm = qkNorm;
    }

    /** {@code general.architecture} in llama.cpp. */
    public String architecture() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean neoxRope() {
        return neoxRope;
    }

    public boolean qkvBias() {
        return qkvBias;
    }

    public boolean qkNorm() {
        return qkNorm;
    }

    /**
     * The family of a {@code general.architecture} value.
     *
     * @throws IllegalArgumentException naming the value and the supported ones
     */
    public static RopeFamily of(String architecture) {
        for (RopeFamily f : values()) {
            if (f.architecture().equals(architecture)) {
                return f;
            }
        }
        throw new IllegalArgumentException("general.architecture '" + architecture
                + "' is not a llama-shaped family the trainer supports (llama, qwen2, qwen3)");
    }
}

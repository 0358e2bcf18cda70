package dev.memdec.plugin.mix;

/**
 * How a memory's distribution is mixed into the host's: p = (1 - λ)·p_host + λ·softmax(z_mem / T_mem).
 *
 * @param lambda            the memory's weight λ in [0, 1]; 0 is the host alone, 1 the memory alone
 * @param memoryTemperature T_mem &gt; 0 dividing the memory's logits before its softmax (1 leaves them as they are)
 */
public record Mixing(double lambda, double memoryTemperature) {

    /** The reference setting for GPT-2 on WikiText (reference-spec §7.2). */
    public static final double DEFAULT_LAMBDA = 0.55;

    public Mixing {
        if (!(lambda >= 0 && lambda <= 1)) {
            throw new IllegalArgumentException("lambda must be in [0, 1], got " + lambda);
        }
        if (!(memoryTemperature > 0) || Double.isInfinite(memoryTemperature)) {
            throw new IllegalArgumentException("memory temperature must be a finite number > 0, got " + memoryTemperature);
        }
    }

    /** λ with memory temperature 1. */
    public static Mixing of(double lambda) {
        return new Mixing(lambda, 1.0);
    }

    /** The host alone (λ = 0). */
    public static Mixing hostOnly() {
        return new Mixing(0, 1.0);
    }
}

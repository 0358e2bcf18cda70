package dev.memdec.plugin.mix;

/**
 * How a memory's distribution is mixed into the host's: by default p = (1 - λ)·p_host + λ·softmax(z_mem / T_mem);
 * with {@link MixMode#LOGIT}, p = softmax((1 - λ)·z_host + λ·z_mem / T_mem).
 *
 * @param lambda            the memory's weight λ in [0, 1]; 0 is the host alone, 1 the memory alone
 * @param memoryTemperature T_mem &gt; 0 dividing the memory's logits before they are mixed (1 leaves them as they are)
 * @param mode              probability-space mixture (the paper's) or logit-space blend
 */
public record Mixing(double lambda, double memoryTemperature, MixMode mode) {

    /** The reference setting for GPT-2 on WikiText (reference-spec §7.2). */
    public static final double DEFAULT_LAMBDA = 0.55;

    public Mixing {
        if (!(lambda >= 0 && lambda <= 1)) {
            throw new IllegalArgumentException("lambda must be in [0, 1], got " + lambda);
        }
        if (!(memoryTemperature > 0) || Double.isInfinite(memoryTemperature)) {
            throw new IllegalArgumentException("memory temperature must be a finite number > 0, got " + memoryTemperature);
        }
        if (mode == null) {
            throw new IllegalArgumentException("mix mode must not be null");
        }
    }

    /** The paper's probability-space mixture. */
    public Mixing(double lambda, double memoryTemperature) {
        this(lambda, memoryTemperature, MixMode.PROB);
    }

    /** The same λ and temperature mixed the other way. */
    public Mixing withMode(MixMode m) {
        return new Mixing(lambda, memoryTemperature, m);
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

package dev.memdec.plugin.server;

import dev.memdec.plugin.mix.MixMode;
import java.util.Optional;

/**
 * Which memory, if any, to mix into the host's distribution for one request: p = (1-λ)·p_host + λ·p_mem.
 *
 * @param name        the memory's name (as loaded with {@code --memory NAME=FILE}); empty means host only
 * @param lambda      mixing weight in [0, 1]
 * @param temperature temperature applied to the memory's logits before mixing, in (0, 10]
 * @param mix         probability-space mixture or logit-space blend
 */
public record MemorySelection(Optional<String> name, double lambda, double temperature, MixMode mix) {
    public MemorySelection {
        if (mix == null) {
            throw new IllegalArgumentException("memory mix mode must not be null");
        }
        if (!(lambda >= 0 && lambda <= 1)) {
            throw new IllegalArgumentException("memory lambda must be in [0, 1], got " + lambda);
        }
        if (!(temperature > 0 && temperature <= 10)) {
            throw new IllegalArgumentException("memory temperature must be in (0, 10], got " + temperature);
        }
    }

    /** Host model only. */
    public static MemorySelection none() {
        return new MemorySelection(Optional.empty(), 0, 1, MixMode.PROB);
    }

    /** The named memory in the paper's probability-space mixture. */
    public static MemorySelection of(String name, double lambda, double temperature) {
        return of(name, lambda, temperature, MixMode.PROB);
    }

    public static MemorySelection of(String name, double lambda, double temperature, MixMode mix) {
        return new MemorySelection(Optional.of(name), lambda, temperature, mix);
    }

    public boolean enabled() {
        return name.isPresent();
    }
}

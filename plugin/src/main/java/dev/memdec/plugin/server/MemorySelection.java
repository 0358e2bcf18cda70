package dev.memdec.plugin.server;

import java.util.Optional;

/**
 * Which memory, if any, to mix into the host's distribution for one request: p = (1-λ)·p_host + λ·p_mem.
 *
 * @param name        the memory's name (as loaded with {@code --memory NAME=FILE}); empty means host only
 * @param lambda      mixing weight in [0, 1]
 * @param temperature temperature applied to the memory's logits before mixing, in (0, 10]
 */
public record MemorySelection(Optional<String> name, double lambda, double temperature) {
    public MemorySelection {
        if (!(lambda >= 0 && lambda <= 1)) {
            throw new IllegalArgumentException("memory lambda must be in [0, 1], got " + lambda);
        }
        if (!(temperature > 0 && temperature <= 10)) {
            throw new IllegalArgumentException("memory temperature must be in (0, 10], got " + temperature);
        }
    }

    /** Host model only. */
    public static MemorySelection none() {
        return new MemorySelection(Optional.empty(), 0, 1);
    }

    public static MemorySelection of(String name, double lambda, double temperature) {
        return new MemorySelection(Optional.of(name), lambda, temperature);
    }

    public boolean enabled() {
        return name.isPresent();
    }
}

package dev.memdec.converter.gguf;

/**
 * The elements of a tensor in GGUF order ({@code ne[0]} varies fastest), produced on demand so that a
 * writer can encode a large tensor chunk by chunk without holding it all in memory.
 */
@FunctionalInterface
public interface FloatSource {

    /** Writes elements {@code first .. first+count)} to {@code dst[0 .. count)}. */
    void read(long first, float[] dst, int count);

    /** A source backed by an array that holds the whole tensor. */
    static FloatSource of(float[] values) {
        return (first, dst, count) -> System.arraycopy(values, Math.toIntExact(first), dst, 0, count);
    }
}

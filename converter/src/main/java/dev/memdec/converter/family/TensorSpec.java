package dev.memdec.converter.family;

/**
 * One tensor a family's GGUF holds.
 *
 * @param name GGUF name, e.g. {@code blk.0.attn_q.weight}
 * @param ne   ggml dims, innermost first ({@code {in, out}} for a matrix: the reverse of PyTorch's shape)
 */
public record TensorSpec(String name, long[] ne) {

    public TensorSpec {
        ne = ne.clone();
    }

    @Override
    public long[] ne() {
        return ne.clone();
    }

    public long elementCount() {
        long n = 1;
        for (long d : ne) {
            n *= d;
        }
        return n;
    }

    /** {@code blk.<layer>.<suffix>}. */
    public static String blk(int layer, String suffix) {
        return "blk." + layer + "." + suffix;
    }

    static TensorSpec vector(String name, long n) {
        return new TensorSpec(name, new long[] {n});
    }

    /** A matrix mapping {@code in} features to {@code out}: ne = {in, out}. */
    static TensorSpec matrix(String name, long in, long out) {
        return new TensorSpec(name, new long[] {in, out});
    }
}

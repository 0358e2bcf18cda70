package dev.memdec.plugin.mlp;

/**
 * A row-major [rows × cols] weight matrix of an MLP memory: {@code y = W·x} has {@code rows} outputs. Each kind
 * computes its rows with the Java Vector API when the JVM resolved {@code jdk.incubator.vector} (the launcher and the
 * tests add it) and with a plain scalar loop otherwise; the two agree to float rounding.
 */
sealed interface Matrix permits F32Matrix, HalfMatrix, Q8Matrix {

    /** True when the Vector API kernels run (the module is in the boot layer). */
    boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    int rows();

    int cols();

    /** Bytes one product reads. */
    long bytes();

    /** {@code out[r] = row r · in} for rows {@code [from, to)}, with the vector kernel when {@code vector}. */
    default void apply(float[] in, float[] out, int from, int to, boolean vector) {
        if (vector) {
            applyVector(in, out, from, to);
        } else {
            applyScalar(in, out, from, to);
        }
    }

    /** Bytes of weights a batched product keeps in cache while it applies them to every row of the batch. */
    int TILE_BYTES = 32 << 10;

    /**
     * {@code out[b][r] = row r · in[b]} for rows {@code [from, to)} and {@code b < batch}: a tile of about
     * {@link #TILE_BYTES} of weight rows is applied to every input before the next tile, so the weights are read from
     * memory once per batch instead of once per input. Each output is {@link #apply}'s value, bit for bit.
     */
    default void applyBatch(float[][] in, float[][] out, int batch, int from, int to, boolean vector) {
        if (batch == 1) {
            apply(in[0], out[0], from, to, vector);
            return;
        }
        int tile = (int) Math.max(1, Math.min(to - from, TILE_BYTES * (long) rows() / Math.max(1, bytes())));
        for (int t = from; t < to; t += tile) {
            int end = Math.min(to, t + tile);
            for (int b = 0; b < batch; b++) {
                apply(in[b], out[b], t, end, vector);
            }
        }
    }

    /** As {@link #apply} with the Vector API; needs {@code jdk.incubator.vector}. */
    void applyVector(float[] in, float[] out, int from, int to);

    /** As {@link #apply}, one float at a time. */
    void applyScalar(float[] in, float[] out, int from, int to);

    /** Which kernel runs by default, e.g. {@code "vector 512-bit"} or {@code "scalar"}. */
    static String kernel() {
        return VECTOR ? VectorKernels.describe() : "scalar (jdk.incubator.vector not resolved)";
    }
}

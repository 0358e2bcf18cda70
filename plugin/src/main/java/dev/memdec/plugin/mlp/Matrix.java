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

    /** As {@link #apply} with the Vector API; needs {@code jdk.incubator.vector}. */
    void applyVector(float[] in, float[] out, int from, int to);

    /** As {@link #apply}, one float at a time. */
    void applyScalar(float[] in, float[] out, int from, int to);

    /** Which kernel runs by default, e.g. {@code "vector 512-bit"} or {@code "scalar"}. */
    static String kernel() {
        return VECTOR ? VectorKernels.describe() : "scalar (jdk.incubator.vector not resolved)";
    }
}

package dev.memdec.plugin.mlp;

/**
 * F16 or BF16 weights kept as the file holds them (2 bytes per weight), widened to F32 in the dot product. BF16 is
 * the top half of an F32; F16 is rebuilt from its bits (exponent rebased by a multiplication by 2^112, exact for
 * normal and subnormal values), so a matrix holding an F16 infinity or NaN is decoded to F32 at load instead.
 */
record HalfMatrix(short[] w, int rows, int cols, boolean bf16) implements Matrix {

    /** True when every F16 bit pattern in {@code w} is finite (exponent field below 31). */
    static boolean finiteF16(short[] w) {
        for (short h : w) {
            if ((h & 0x7c00) == 0x7c00) {
                return false;
            }
        }
        return true;
    }

    @Override
    public long bytes() {
        return (long) w.length * Short.BYTES;
    }

    @Override
    public void applyVector(float[] in, float[] out, int from, int to) {
        VectorKernels.half(w, bf16, cols, in, out, from, to);
    }

    @Override
    public void applyScalar(float[] in, float[] out, int from, int to) {
        for (int r = from; r < to; r++) {
            int off = r * cols;
            float s0 = 0;
            float s1 = 0;
            int i = 0;
            for (; i + 1 < cols; i += 2) {
                s0 += weight(off + i) * in[i];
                s1 += weight(off + i + 1) * in[i + 1];
            }
            for (; i < cols; i++) {
                s0 += weight(off + i) * in[i];
            }
            out[r] = s0 + s1;
        }
    }

    private float weight(int i) {
        return bf16 ? Float.intBitsToFloat(w[i] << 16) : Float.float16ToFloat(w[i]);
    }
}

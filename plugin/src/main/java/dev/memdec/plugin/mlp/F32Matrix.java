package dev.memdec.plugin.mlp;

/** F32 weights (also F16, BF16 and Q4_0 files, decoded to F32 at load), row-major. */
record F32Matrix(float[] w, int rows, int cols) implements Matrix {

    @Override
    public long bytes() {
        return (long) w.length * Float.BYTES;
    }

    @Override
    public void applyVector(float[] in, float[] out, int from, int to) {
        VectorKernels.f32(w, cols, in, out, from, to);
    }

    @Override
    public void applyScalar(float[] in, float[] out, int from, int to) {
        for (int r = from; r < to; r++) {
            int off = r * cols;
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            int i = 0;
            for (; i + 3 < cols; i += 4) {
                s0 += w[off + i] * in[i];
                s1 += w[off + i + 1] * in[i + 1];
                s2 += w[off + i + 2] * in[i + 2];
                s3 += w[off + i + 3] * in[i + 3];
            }
            for (; i < cols; i++) {
                s0 += w[off + i] * in[i];
            }
            out[r] = (s0 + s1) + (s2 + s3);
        }
    }
}

package dev.memdec.plugin.mlp;

import dev.memdec.converter.quant.Q8_0Block;

/**
 * Q8_0 weights kept quantized as the file holds them: 8-bit values and one F16 scale per block of
 * {@link Q8_0Block#ELEMENTS}, so a product reads 1.0625 bytes per weight instead of 4. The dot product dequantizes on
 * the fly (block sum of value × input, times the block's scale), which is what llama.cpp's dequantized weights give
 * up to float summation order.
 */
record Q8Matrix(byte[] q, short[] scales, int rows, int cols) implements Matrix {

    @Override
    public long bytes() {
        return q.length + (long) scales.length * Short.BYTES;
    }

    @Override
    public void applyVector(float[] in, float[] out, int from, int to) {
        VectorKernels.q8(q, scales, cols, in, out, from, to);
    }

    @Override
    public void applyScalar(float[] in, float[] out, int from, int to) {
        int blocks = cols / Q8_0Block.ELEMENTS;
        for (int r = from; r < to; r++) {
            float sum = 0;
            int base = r * cols;
            for (int b = 0; b < blocks; b++) {
                int off = base + b * Q8_0Block.ELEMENTS;
                int x = b * Q8_0Block.ELEMENTS;
                float s0 = 0;
                float s1 = 0;
                float s2 = 0;
                float s3 = 0;
                for (int i = 0; i < Q8_0Block.ELEMENTS; i += 4) {
                    s0 += q[off + i] * in[x + i];
                    s1 += q[off + i + 1] * in[x + i + 1];
                    s2 += q[off + i + 2] * in[x + i + 2];
                    s3 += q[off + i + 3] * in[x + i + 3];
                }
                sum += ((s0 + s1) + (s2 + s3)) * Float.float16ToFloat(scales[r * blocks + b]);
            }
            out[r] = sum;
        }
    }
}

package dev.memdec.plugin.mlp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.quant.Float16;
import dev.memdec.converter.quant.Q8_0Block;
import dev.memdec.plugin.parallel.WorkerTeam;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Vector API kernels against the plain scalar loops on random shapes: widths that are and are not multiples of
 * the vector length, fewer rows than threads, products split across persistent worker threads.
 */
class MatrixKernelTest {

    private static final Random RANDOM = new Random(14);

    private static float[] gaussian(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) RANDOM.nextGaussian();
        }
        return x;
    }

    /** Max |vector - scalar| relative to Σ|w·x| of the row (the size of the float rounding that may differ). */
    private static double compare(Matrix m, float[] in) {
        float[] scalar = new float[m.rows()];
        float[] vector = new float[m.rows()];
        m.applyScalar(in, scalar, 0, m.rows());
        m.applyVector(in, vector, 0, m.rows());
        double worst = 0;
        for (int r = 0; r < m.rows(); r++) {
            worst = Math.max(worst, Math.abs(vector[r] - scalar[r]) / (1 + Math.abs(scalar[r])));
        }
        return worst;
    }

    @Test
    void theVectorModuleIsResolvedInTheTestJvm() {
        // The build's surefire argLine adds jdk.incubator.vector, as the launcher does: without it the comparisons
        // below would compare nothing that runs.
        assertTrue(Matrix.VECTOR, Matrix.kernel());
        System.out.println("MLP kernel: " + Matrix.kernel());
    }

    @Test
    void f32VectorKernelMatchesTheScalarLoopOnRandomShapes() {
        int[] widths = {1, 3, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 100, 127, 129, 255, 768, 1000};
        double worst = 0;
        for (int cols : widths) {
            for (int rows : new int[] {1, 5, 33}) {
                F32Matrix m = new F32Matrix(gaussian(rows * cols), rows, cols);
                worst = Math.max(worst, compare(m, gaussian(cols)));
            }
        }
        System.out.printf("F32 vector vs scalar kernel: max relative diff %.2e%n", worst);
        assertTrue(worst <= 1e-5, "F32 vector kernel differs from the scalar loop by " + worst);
    }

    @Test
    void q8VectorKernelMatchesTheScalarLoopOnRandomShapes() {
        double worst = 0;
        for (int blocks : new int[] {1, 2, 3, 5, 24, 96}) {
            int cols = blocks * Q8_0Block.ELEMENTS;
            for (int rows : new int[] {1, 7, 40}) {
                byte[] q = new byte[rows * cols];
                RANDOM.nextBytes(q);
                short[] scales = new short[rows * blocks];
                for (int i = 0; i < scales.length; i++) {
                    scales[i] = Float16.fromFloat((float) (RANDOM.nextDouble() * 0.02));
                }
                worst = Math.max(worst, compare(new Q8Matrix(q, scales, rows, cols), gaussian(cols)));
            }
        }
        System.out.printf("Q8_0 vector vs scalar kernel: max relative diff %.2e%n", worst);
        assertTrue(worst <= 1e-5, "Q8_0 vector kernel differs from the scalar loop by " + worst);
    }

    @Test
    void halfPrecisionVectorKernelsMatchTheScalarLoopsIncludingSubnormals() {
        double worst = 0;
        for (boolean bf16 : new boolean[] {false, true}) {
            for (int cols : new int[] {1, 9, 16, 31, 32, 33, 100, 768}) {
                int rows = 6;
                short[] w = new short[rows * cols];
                for (int i = 0; i < w.length; i++) {
                    // Every fourth weight tiny: F16 subnormals (below 6.1e-5) must widen exactly too.
                    float v = (float) (RANDOM.nextGaussian() * (i % 4 == 0 ? 1e-6 : 0.05));
                    w[i] = bf16 ? (short) (Float.floatToRawIntBits(v) >>> 16) : Float16.fromFloat(v);
                }
                HalfMatrix m = new HalfMatrix(w, rows, cols, bf16);
                assertTrue(bf16 || HalfMatrix.finiteF16(w));
                worst = Math.max(worst, compare(m, gaussian(cols)));
            }
        }
        System.out.printf("F16/BF16 vector vs scalar kernel: max relative diff %.2e%n", worst);
        assertTrue(worst <= 1e-5, "half-precision vector kernel differs from the scalar loop by " + worst);
        assertTrue(!HalfMatrix.finiteF16(new short[] {0, (short) 0x7c00}), "an F16 infinity is not finite");
    }

    @Test
    void rowsSplitAcrossWorkersGiveTheSingleThreadResultBitForBit() {
        for (int threads : new int[] {2, 3}) {
            try (WorkerTeam team = new WorkerTeam(threads, "test-rows")) {
                for (int rows : new int[] {1, 2, 5, 1000}) {
                    int cols = 37;
                    F32Matrix m = new F32Matrix(gaussian(rows * cols), rows, cols);
                    float[][] in = {gaussian(cols), gaussian(cols), gaussian(cols)};
                    float[][] one = new float[3][rows];
                    for (int b = 0; b < 3; b++) {
                        m.apply(in[b], one[b], 0, rows, true);
                    }
                    for (int repeat = 0; repeat < 50; repeat++) { // the same pool, product after product
                        int batch = 1 + repeat % 3;
                        float[][] split = new float[batch][rows];
                        JavaMlp.applySplit(team, m, in, split, batch, true);
                        for (int b = 0; b < batch; b++) {
                            assertArrayEquals(one[b], split[b], threads + " threads, " + rows + " rows, batch " + batch);
                        }
                    }
                }
            }
        }
    }
}

package dev.memdec.plugin.mix;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FloatKernelsTest {

    /** Every length around the kernels' 8- and 16-wide bodies, and a vocabulary-sized one. */
    private static final int[] LENGTHS = {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 50257};

    @Test
    void maxFindsTheLargestWhereverItIs() {
        Random r = new Random(3);
        for (int n : LENGTHS) {
            assertEquals(Float.NEGATIVE_INFINITY, FloatKernels.max(new float[n], 0, 0), "n = 0 reads nothing");
            for (int at = 0; at < n; at += Math.max(1, n / 40)) {
                float[] x = new float[n];
                for (int i = 0; i < n; i++) {
                    x[i] = i % 5 == 0 ? Float.NEGATIVE_INFINITY : (float) (-Math.abs(r.nextGaussian() * 4) - 1); // below 0
                }
                x[at] = 7.5f; // in every lane of the body and in the tail, in turn
                assertEquals(7.5f, FloatKernels.max(x, 0, n), "n " + n + ", largest at " + at);
                // entries past n are not read
                float[] longer = java.util.Arrays.copyOf(x, n + 3);
                longer[n + 1] = 100f;
                assertEquals(7.5f, FloatKernels.max(longer, 0, n), "n " + n);
            }
        }
        float[] minusInf = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        assertEquals(Float.NEGATIVE_INFINITY, FloatKernels.max(minusInf, 0, 2));
    }

    @Test
    void sumAgreesWithADoubleSum() {
        Random r = new Random(4);
        for (int n : LENGTHS) {
            float[] x = new float[n + 2];
            double exact = 0;
            for (int i = 0; i < n; i++) {
                x[i] = (float) Math.exp(-Math.abs(r.nextGaussian() * 6));
                exact += x[i];
            }
            x[n] = 1e6f; // past n: not summed
            // sixteen float partial sums of terms in (0, 1]: relative error well under 1e-5 at 50,257 terms
            assertEquals(exact, FloatKernels.sum(x, 0, n), Math.max(1e-12, exact * 1e-6), "n " + n);
        }
    }
}

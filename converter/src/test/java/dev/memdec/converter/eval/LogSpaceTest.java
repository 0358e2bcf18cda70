package dev.memdec.converter.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LogSpaceTest {

    @Test
    void logSumExpMatchesTheDirectSumAndDoesNotOverflow() {
        float[] x = {0.5f, -1.25f, 2f, 0f};
        double direct = Math.log(Math.exp(0.5) + Math.exp(-1.25) + Math.exp(2) + Math.exp(0));
        assertEquals(direct, LogSpace.logSumExp(x), 1e-12);
        assertEquals(Math.log(Math.exp(0.5) + Math.exp(-1.25)), LogSpace.logSumExp(x, 2), 1e-12);
        // e^1000 overflows a double; factored out it does not
        assertEquals(1000 + Math.log(2), LogSpace.logSumExp(new float[] {1000f, 1000f}), 1e-9);
        assertEquals(Double.NEGATIVE_INFINITY, LogSpace.logSumExp(new float[] {Float.NEGATIVE_INFINITY}));
        assertEquals(Double.NEGATIVE_INFINITY, LogSpace.logSumExp(new float[0]));
    }

    @Test
    void logSoftmaxSumsToOne() {
        float[] row = {3f, -2f, 0.25f, 7f};
        double total = 0;
        for (int t = 0; t < row.length; t++) {
            total += Math.exp(LogSpace.logSoftmax(row, t));
        }
        assertEquals(1, total, 1e-12);
        assertThrows(IllegalArgumentException.class, () -> LogSpace.logSoftmax(row, 4));
    }

    @Test
    void mixIsThePapersMixtureAndExactAtTheEnds() {
        double a = Math.log(0.2);
        double b = Math.log(0.7);
        assertEquals(Math.log(0.75 * 0.2 + 0.25 * 0.7), LogSpace.mix(a, b, 0.25), 1e-14);
        assertEquals(a, LogSpace.mix(a, b, 0), 0);
        assertEquals(b, LogSpace.mix(a, b, 1), 0);
        assertEquals(Math.log(0.5) + a, LogSpace.mix(a, Double.NEGATIVE_INFINITY, 0.5), 1e-14);
        assertEquals(Double.NEGATIVE_INFINITY, LogSpace.logAddExp(Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY));
        assertEquals(-10000 + Math.log(2), LogSpace.logAddExp(-10000, -10000), 1e-9);
    }
}

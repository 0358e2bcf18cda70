package dev.memdec.converter.quant;

/** Rounding helpers that reproduce C library behaviour where Java's differs. */
final class Rounding {

    private Rounding() {
    }

    /**
     * C's {@code (int) roundf(x)} for |x| < 2^31: to nearest, ties away from zero.
     * {@link Math#round(float)} rounds ties up (toward positive infinity), so -63.5 would become -63
     * instead of ggml's -64. Adding ±0.5 in double is exact for any float, so truncating the sum rounds
     * correctly also just below a tie (0.49999997f + 0.5f would round up to 1 in float arithmetic).
     */
    static int roundHalfAwayFromZero(float x) {
        return (int) (x + Math.copySign(0.5, x));
    }
}

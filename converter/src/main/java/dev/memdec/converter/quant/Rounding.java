package dev.memdec.converter.quant;

/** Rounding helpers that reproduce C library behaviour where Java's differs. */
final class Rounding {

    private Rounding() {
    }

    /**
     * C's {@code roundf}: to nearest, ties away from zero. {@link Math#round(float)} rounds ties up
     * (toward positive infinity), so -63.5 would become -63 instead of ggml's -64.
     */
    static float roundHalfAwayFromZero(float x) {
        float magnitude = Math.abs(x);
        float floor = (float) Math.floor(magnitude);
        // magnitude - floor is exact for floats, so the tie test is exact too.
        float rounded = magnitude - floor >= 0.5f ? floor + 1f : floor;
        return Math.copySign(rounded, x);
    }
}

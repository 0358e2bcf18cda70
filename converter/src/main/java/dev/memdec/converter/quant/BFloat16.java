package dev.memdec.converter.quant;

/**
 * bfloat16 conversion as ggml does it: the top 16 bits of the float after rounding to nearest even;
 * a NaN keeps its top bits and is made quiet (bit 6 of the result set) so it cannot round to infinity.
 */
public final class BFloat16 {

    private BFloat16() {
    }

    /** The bfloat16 bit pattern (low 16 bits) nearest to {@code f}. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The float value of a bfloat16 bit pattern; exact. */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}

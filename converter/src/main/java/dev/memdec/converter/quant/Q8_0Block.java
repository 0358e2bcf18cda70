package dev.memdec.converter.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * ggml's Q8_0 block: 32 elements as an f16 scale {@code d} followed by 32 signed bytes, value = d * q.
 * The quantizer is the reference one ({@code quantize_row_q8_0_ref}): d = max|x| / 127 and
 * q = roundf(x / d), computed with the unrounded f32 d.
 */
public final class Q8_0Block {

    /** Elements per block. */
    public static final int ELEMENTS = 32;
    /** Bytes per block. */
    public static final int BYTES = 34;

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Q8_0Block() {
    }

    /** Quantizes {@code src[from .. from+32)} into the 34 bytes at {@code dst[at]}. */
    public static void quantize(float[] src, int from, MemorySegment dst, long at) {
        float amax = 0f;
        for (int j = 0; j < ELEMENTS; j++) {
            amax = Math.max(amax, Math.abs(src[from + j]));
        }
        float d = amax / 127f;
        float id = d != 0f ? 1f / d : 0f;
        dst.set(SHORT_LE, at, Float16.fromFloat(d));
        for (int j = 0; j < ELEMENTS; j++) {
            dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) Rounding.roundHalfAwayFromZero(src[from + j] * id));
        }
    }

    /** Dequantizes the block at {@code src[at]} into {@code dst[to .. to+32)}. */
    public static void dequantize(MemorySegment src, long at, float[] dst, int to) {
        float d = Float16.toFloat(src.get(SHORT_LE, at));
        for (int j = 0; j < ELEMENTS; j++) {
            dst[to + j] = d * src.get(ValueLayout.JAVA_BYTE, at + 2 + j);
        }
    }
}

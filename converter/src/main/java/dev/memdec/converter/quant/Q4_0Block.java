package dev.memdec.converter.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * ggml's Q4_0 block: 32 elements as an f16 scale {@code d} followed by 16 bytes of 4-bit quants,
 * value = d * (q - 8). Byte k holds element k in its low nibble and element k + 16 in its high nibble.
 *
 * <p>The quantizer is the reference one ({@code quantize_row_q4_0_ref}): the element of largest
 * magnitude (first one wins) keeps its sign, d = max / -8, q = min(15, trunc(x / d + 8.5)). The
 * multiply-add is fused with {@link Math#fma} as in an FMA build of ggml; an all-zero block gets the
 * scale -0.0 exactly as the reference does.
 */
public final class Q4_0Block {

    /** Elements per block. */
    public static final int ELEMENTS = 32;
    /** Bytes per block. */
    public static final int BYTES = 18;

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Q4_0Block() {
    }

    /** Quantizes {@code src[from .. from+32)} into the 18 bytes at {@code dst[at]}. */
    public static void quantize(float[] src, int from, MemorySegment dst, long at) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < ELEMENTS; j++) {
            float v = src[from + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8f;
        float id = d != 0f ? 1f / d : 0f;
        dst.set(SHORT_LE, at, Float16.fromFloat(d));
        int half = ELEMENTS / 2;
        for (int k = 0; k < half; k++) {
            int lo = quant(src[from + k], id);
            int hi = quant(src[from + half + k], id);
            dst.set(ValueLayout.JAVA_BYTE, at + 2 + k, (byte) (lo | (hi << 4)));
        }
    }

    private static int quant(float x, float id) {
        return Math.min(15, (int) Math.fma(x, id, 8.5f));
    }

    /** Dequantizes the block at {@code src[at]} into {@code dst[to .. to+32)}. */
    public static void dequantize(MemorySegment src, long at, float[] dst, int to) {
        float d = Float16.toFloat(src.get(SHORT_LE, at));
        int half = ELEMENTS / 2;
        for (int k = 0; k < half; k++) {
            int b = src.get(ValueLayout.JAVA_BYTE, at + 2 + k) & 0xFF;
            dst[to + k] = d * ((b & 0x0F) - 8);
            dst[to + half + k] = d * ((b >>> 4) - 8);
        }
    }
}

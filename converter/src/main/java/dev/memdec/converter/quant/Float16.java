package dev.memdec.converter.quant;

/**
 * IEEE binary16 conversion, round-to-nearest-even with subnormals and overflow to infinity, which is
 * what ggml's {@code GGML_FP32_TO_FP16} does. The JDK's {@link Float#floatToFloat16} implements exactly
 * that (checked against the vectors of gguf-spec §5.2 in the tests).
 */
public final class Float16 {

    private Float16() {
    }

    /** The binary16 bit pattern (low 16 bits) nearest to {@code f}. */
    public static short fromFloat(float f) {
        return Float.floatToFloat16(f);
    }

    /** The float value of a binary16 bit pattern; exact. */
    public static float toFloat(short bits) {
        return Float.float16ToFloat(bits);
    }
}

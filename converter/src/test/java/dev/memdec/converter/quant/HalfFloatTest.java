package dev.memdec.converter.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HalfFloatTest {

    private static void f16(float in, int bits) {
        assertEquals(bits, Float16.fromFloat(in) & 0xFFFF, () -> "f16(" + in + ")");
    }

    private static void bf16(float in, int bits) {
        assertEquals(bits, BFloat16.fromFloat(in) & 0xFFFF, () -> "bf16(" + in + ")");
    }

    @Test
    void float16MatchesSpecVectors() {
        f16(1.0f, 0x3C00);
        f16(-2.5f, 0xC100);
        f16((float) Math.PI, 0x4248);
        f16(1f / 3, 0x3555);
        f16(0.1f, 0x2E66);
        f16(1 + 0x1p-11f, 0x3C00);
        f16(1 + 3 * 0x1p-11f, 0x3C02);
        f16(6e-8f, 0x0001);
        f16(2.98e-8f, 0x0000);
        f16(1e-6f, 0x0011);
        f16(6.1e-5f, 0x03FF);
        f16(-0.0f, 0x8000);
        f16(1e5f, 0x7C00);
        f16(65520f, 0x7C00);
        f16(65504f, 0x7BFF);
    }

    @Test
    void float16RoundTripsEveryPattern() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = Float16.toFloat((short) bits);
            if (!Float.isNaN(f)) {
                assertEquals(bits, Float16.fromFloat(f) & 0xFFFF);
            }
        }
    }

    @Test
    void bfloat16MatchesSpecVectors() {
        bf16(1.0f, 0x3F80);
        bf16(-2.5f, 0xC020);
        bf16((float) Math.PI, 0x4049);
        bf16(1e-8f, 0x322C);
        bf16(65504f, 0x4780);
        bf16(1f / 3, 0x3EAB);
        bf16(Float.POSITIVE_INFINITY, 0x7F80);
        // ties go to even: 0x3F808000 is halfway between 0x3F80 and 0x3F81
        bf16(Float.intBitsToFloat(0x3F808000), 0x3F80);
        bf16(Float.intBitsToFloat(0x3F818000), 0x3F82);
    }

    @Test
    void bfloat16NaNStaysQuietNaN() {
        // a signalling NaN whose payload sits only in the low bits would round to infinity without the NaN rule
        float nan = Float.intBitsToFloat(0x7F800001);
        int bits = BFloat16.fromFloat(nan) & 0xFFFF;
        assertEquals(0x7FC0, bits);
        assertTrue(Float.isNaN(BFloat16.toFloat((short) bits)));
        assertEquals(0xFFC0, BFloat16.fromFloat(Float.intBitsToFloat(0xFFC00000)) & 0xFFFF);
    }

    @Test
    void bfloat16DecodesByShifting() {
        assertEquals(-2.5f, BFloat16.toFloat((short) 0xC020));
        assertEquals(Float.intBitsToFloat(0x40490000), BFloat16.toFloat((short) 0x4049));
    }
}

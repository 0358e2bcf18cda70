package dev.memdec.converter.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Byte-exact checks against gguf-spec §5.7 and round-trip error bounds. */
class BlockQuantTest {

    private static float[] blockA() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = (j - 16) / 16f;
        }
        return x;
    }

    private static float[] blockC() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = (float) Math.sin(j);
        }
        return x;
    }

    private static String encodeHex(GgmlType type, float[] x) {
        byte[] out = new byte[(int) TensorCodec.encodedSize(type, x.length)];
        TensorCodec.encode(type, x, 0, x.length, MemorySegment.ofArray(out), 0);
        return HexFormat.of().formatHex(out);
    }

    private static String hex(String spaced) {
        return spaced.replace(" ", "");
    }

    @Test
    void q8_0MatchesSpecVectors() {
        assertEquals(hex("0820 81 89 91 99 a1 a9 b1 b9 c0 c8 d0 d8 e0 e8 f0 f8 00 08 10 18 20 28 30 38 40 47 4f 57 5f 67 6f 77"),
                encodeHex(GgmlType.Q8_0, blockA()));
        assertEquals("00".repeat(34), encodeHex(GgmlType.Q8_0, new float[32]));
        assertEquals("0820006b7312a086dd537e34bb81bc357e53db86a113746aff958def617922ac83cd",
                encodeHex(GgmlType.Q8_0, blockC()));
    }

    @Test
    void q8_0RoundsHalfAwayFromZero() {
        float[] x = new float[32];
        x[0] = 127f;
        x[1] = -2.5f;
        x[2] = -0.5f;
        x[3] = 0.5f;
        x[4] = 2.5f;
        byte[] out = new byte[34];
        Q8_0Block.quantize(x, 0, MemorySegment.ofArray(out), 0);
        assertEquals(0x3c00, (out[0] & 0xFF) | (out[1] & 0xFF) << 8);
        assertArrayEquals(new byte[] {127, -3, -1, 1, 3, 0}, java.util.Arrays.copyOfRange(out, 2, 8));
    }

    @Test
    void q4_0MatchesSpecVectors() {
        assertEquals(hex("0030 80 91 91 a2 a2 b3 b3 c4 c4 d5 d5 e6 e6 f7 f7 f8"), encodeHex(GgmlType.Q4_0, blockA()));
        assertEquals("0080" + "88".repeat(16), encodeHex(GgmlType.Q4_0, new float[32]));
        assertEquals("0030680f2f99f2f0861d1f7be4f0a43b0f5d", encodeHex(GgmlType.Q4_0, blockC()));
    }

    @Test
    void roundingHelperDiffersFromMathRoundOnNegativeTies() {
        assertEquals(-64, Rounding.roundHalfAwayFromZero(-63.5f));
        assertEquals(64, Rounding.roundHalfAwayFromZero(63.5f));
        assertEquals(0, Rounding.roundHalfAwayFromZero(0.49999997f));
        assertEquals(0, Rounding.roundHalfAwayFromZero(-0.49999997f));
        assertEquals(-127, Rounding.roundHalfAwayFromZero(-126.5f));
        assertEquals(3, Rounding.roundHalfAwayFromZero(2.5f));
        assertEquals(2, Rounding.roundHalfAwayFromZero(2.4999998f));
        assertEquals(-63, Math.round(-63.5f)); // the trap this helper avoids
    }

    private static float[] randomNormal(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private static float[] roundTrip(GgmlType type, float[] x) {
        byte[] out = new byte[(int) TensorCodec.encodedSize(type, x.length)];
        TensorCodec.encode(type, x, 0, x.length, MemorySegment.ofArray(out), 0);
        float[] back = new float[x.length];
        TensorCodec.decode(type, MemorySegment.ofArray(out), 0, back, 0, x.length);
        return back;
    }

    private static float scale(GgmlType type, float[] x, int block) {
        byte[] out = new byte[type.typeSize()];
        TensorCodec.encode(type, x, block * 32, 32, MemorySegment.ofArray(out), 0);
        return Float16.toFloat((short) ((out[0] & 0xFF) | (out[1] & 0xFF) << 8));
    }

    @Test
    void q8_0RoundTripWithinBound() {
        float[] x = randomNormal(32 * 2000, 1);
        float[] back = roundTrip(GgmlType.Q8_0, x);
        for (int b = 0; b < 2000; b++) {
            float d = scale(GgmlType.Q8_0, x, b);
            for (int j = b * 32; j < b * 32 + 32; j++) {
                assertTrue(Math.abs(x[j] - back[j]) <= 0.5625f * d, "element " + j);
            }
        }
    }

    @Test
    void q4_0RoundTripWithinBound() {
        float[] x = randomNormal(32 * 2000, 2);
        float[] back = roundTrip(GgmlType.Q4_0, x);
        for (int b = 0; b < 2000; b++) {
            float d = Math.abs(scale(GgmlType.Q4_0, x, b));
            for (int j = b * 32; j < b * 32 + 32; j++) {
                // the clamped top bucket (q = 16 -> 15) can be off by up to 1.5 d, all others by 0.5 d
                assertTrue(Math.abs(x[j] - back[j]) <= 1.5f * d * 1.01f, "element " + j);
            }
        }
    }

    @Test
    void halfTypesRoundTripWithinRelativeError() {
        float[] x = randomNormal(4096, 3);
        float[] f16 = roundTrip(GgmlType.F16, x);
        float[] bf16 = roundTrip(GgmlType.BF16, x);
        assertArrayEquals(x, roundTrip(GgmlType.F32, x));
        for (int i = 0; i < x.length; i++) {
            assertTrue(Math.abs(x[i] - f16[i]) <= Math.abs(x[i]) * 0x1p-11f + 0x1p-25f, "f16 " + i);
            assertTrue(Math.abs(x[i] - bf16[i]) <= Math.abs(x[i]) * 0x1p-8f, "bf16 " + i);
        }
    }

    @Test
    void decodesRangesThatStartAndEndInsideBlocks() {
        float[] x = randomNormal(32 * 4, 4);
        for (GgmlType type : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.F16}) {
            byte[] out = new byte[(int) TensorCodec.encodedSize(type, x.length)];
            TensorCodec.encode(type, x, 0, x.length, MemorySegment.ofArray(out), 0);
            float[] all = new float[x.length];
            TensorCodec.decode(type, MemorySegment.ofArray(out), 0, all, 0, x.length);
            float[] part = new float[70];
            TensorCodec.decode(type, MemorySegment.ofArray(out), 13, part, 0, 70);
            assertArrayEquals(java.util.Arrays.copyOfRange(all, 13, 83), part, type.toString());
        }
    }

    @Test
    void largeEncodesSplitAcrossThreadsGiveTheBytesOfBlockByBlockEncodes() {
        float[] x = randomNormal((1 << 18) + 1024 * 7, 5); // big enough to be split, not a power of two
        for (GgmlType type : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.F16, GgmlType.BF16}) {
            byte[] whole = new byte[(int) TensorCodec.encodedSize(type, x.length) + 3];
            TensorCodec.encode(type, x, 0, x.length, MemorySegment.ofArray(whole), 3);
            byte[] blockwise = new byte[whole.length];
            int block = type.blockSize() * 32; // 32 elements for F16/BF16, small enough never to be split
            for (int first = 0; first < x.length; first += block) {
                TensorCodec.encode(type, x, first, block, MemorySegment.ofArray(blockwise),
                        3 + TensorCodec.encodedSize(type, first));
            }
            assertArrayEquals(blockwise, whole, type.toString());
        }
    }

    @Test
    void rejectsPartialBlocksAndUnsupportedTypes() {
        assertThrows(IllegalArgumentException.class,
                () -> TensorCodec.encode(GgmlType.Q8_0, new float[40], 0, 40, MemorySegment.ofArray(new byte[100]), 0));
        assertThrows(IllegalArgumentException.class,
                () -> TensorCodec.encode(GgmlType.Q4_K, new float[256], 0, 256, MemorySegment.ofArray(new byte[200]), 0));
    }
}

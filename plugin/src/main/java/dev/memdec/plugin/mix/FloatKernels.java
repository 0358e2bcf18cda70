package dev.memdec.plugin.mix;

/**
 * Array kernels for the mixing step: {@code exp}, {@code log1p}, maxima and sums over {@code float[]}.
 *
 * <p>Why not {@link Math#exp}: the mixer needs three transcendental functions per vocabulary entry and step
 * (about 150,000 at V = 50,257), and the scalar intrinsics cost about 1 ms per step on these machines. The
 * Vector API would be faster still but needs the incubator module on every command line. Instead each kernel
 * here is a sequence of <em>short</em> loops of plain float arithmetic and bit casts: HotSpot's C2
 * auto-vectorizes such loops (measured: a fused exp loop is not vectorized, the same work split into three
 * loops is, about 8x faster). Keep the loops small when editing.
 *
 * <p>Accuracy: {@link #exp} has a relative error below 2e-7 on [-87, 0]; arguments below -87 are clamped
 * (e^-87 ≈ 1.6e-38, negligible next to a sum that contains 1). {@link #log1pUnit} is accurate to 1e-7
 * absolute on [0, 1].
 */
final class FloatKernels {

    /** 1.5 · 2^23: adding it rounds a float in (-2^22, 2^22) to an integer kept in the low mantissa bits. */
    private static final float ROUND_MAGIC = 12582912f;
    private static final int ROUND_MAGIC_BITS = 0x4B400000;
    private static final float LOG2E = 1.4426950408889634f;
    /** ln 2 split so that k · LN2_HI is exact for |k| < 2^9. */
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.428606765330187e-06f;
    private static final float EXP_FLOOR = -87f;
    /** Partial sums kept apart in {@link #sum} (a single float accumulator is one long dependency chain). */
    private static final int LANES = 16;

    private FloatKernels() {
    }

    /**
     * Largest of {@code x[from..to)}; -∞ for an empty range. NaN is not expected (logits are finite or -∞). Eight running maxima
     * by comparison: C2 does not vectorize a max reduction well, and {@code Math.max}'s NaN and -0 handling costs more
     * than the comparison (measured at V = 50,257: 16 µs against 27 µs for sixteen {@code Math.max} lanes).
     */
    static float max(float[] x, int from, int to) {
        float m0 = Float.NEGATIVE_INFINITY;
        float m1 = m0;
        float m2 = m0;
        float m3 = m0;
        float m4 = m0;
        float m5 = m0;
        float m6 = m0;
        float m7 = m0;
        int i = from;
        for (; i + 8 <= to; i += 8) {
            m0 = x[i] > m0 ? x[i] : m0;
            m1 = x[i + 1] > m1 ? x[i + 1] : m1;
            m2 = x[i + 2] > m2 ? x[i + 2] : m2;
            m3 = x[i + 3] > m3 ? x[i + 3] : m3;
            m4 = x[i + 4] > m4 ? x[i + 4] : m4;
            m5 = x[i + 5] > m5 ? x[i + 5] : m5;
            m6 = x[i + 6] > m6 ? x[i + 6] : m6;
            m7 = x[i + 7] > m7 ? x[i + 7] : m7;
        }
        for (; i < to; i++) {
            m0 = x[i] > m0 ? x[i] : m0;
        }
        return Math.max(Math.max(Math.max(m0, m1), Math.max(m2, m3)), Math.max(Math.max(m4, m5), Math.max(m6, m7)));
    }

    /** {@code dst[i] = x[i] * scale + shift} for i in {@code [from, to)}. */
    static void affine(float[] x, float scale, float shift, float[] dst, int from, int to) {
        for (int i = from; i < to; i++) {
            dst[i] = x[i] * scale + shift;
        }
    }

    /**
     * {@code dst[i] = e^x[i]} for {@code x[i] <= 0} and i in {@code [from, to)}; {@code work[from..to)} is scratch.
     * {@code x} and {@code dst} may be the same array.
     */
    static void exp(float[] x, float[] dst, float[] work, int from, int to) {
        // t holds round(x / ln2) in its low mantissa bits; r = x - k ln2 lies in [-ln2/2, ln2/2].
        for (int i = from; i < to; i++) {
            work[i] = Math.max(x[i], EXP_FLOOR) * LOG2E + ROUND_MAGIC;
        }
        for (int i = from; i < to; i++) {
            float k = work[i] - ROUND_MAGIC;
            dst[i] = Math.max(x[i], EXP_FLOOR) - k * LN2_HI - k * LN2_LO;
        }
        for (int i = from; i < to; i++) {
            float r = dst[i];
            dst[i] = 1f + r * (1f + r * (0.5f + r * (1f / 6 + r * (1f / 24 + r * (1f / 120 + r * (1f / 720))))));
        }
        for (int i = from; i < to; i++) {
            dst[i] *= Float.intBitsToFloat((Float.floatToRawIntBits(work[i]) - ROUND_MAGIC_BITS + 127) << 23);
        }
    }

    /**
     * {@code ln(1 + x[i])} for {@code x[i]} in [0, 1] and i in {@code [from, to)}, in place: 2·atanh(s) with
     * s = x / (2 + x) in [0, 1/3].
     */
    static void log1pUnit(float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            x[i] = x[i] / (2f + x[i]);
        }
        for (int i = from; i < to; i++) {
            float s = x[i];
            float s2 = s * s;
            x[i] = 2f * s * (1f + s2 * (1f / 3 + s2 * (1f / 5 + s2 * (1f / 7 + s2 * (1f / 9 + s2 * (1f / 11
                    + s2 * (1f / 13 + s2 * (1f / 15))))))));
        }
    }

    /**
     * Sum of {@code x[from..to)}: element {@code from + j} goes to partial sum j mod {@value #LANES} (floats), the partial
     * sums then to a double. Sixteen scalar accumulators: C2 keeps a lane array of them in memory, at twice the time (measured at
     * V = 50,257: 8 µs against 18.5 µs), and may not reorder a single float accumulator.
     */
    static double sum(float[] x, int from, int to) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        float s4 = 0;
        float s5 = 0;
        float s6 = 0;
        float s7 = 0;
        float s8 = 0;
        float s9 = 0;
        float s10 = 0;
        float s11 = 0;
        float s12 = 0;
        float s13 = 0;
        float s14 = 0;
        float s15 = 0;
        int i = from;
        for (; i + LANES <= to; i += LANES) {
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
            s4 += x[i + 4];
            s5 += x[i + 5];
            s6 += x[i + 6];
            s7 += x[i + 7];
            s8 += x[i + 8];
            s9 += x[i + 9];
            s10 += x[i + 10];
            s11 += x[i + 11];
            s12 += x[i + 12];
            s13 += x[i + 13];
            s14 += x[i + 14];
            s15 += x[i + 15];
        }
        double total = (double) s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8 + s9 + s10 + s11 + s12 + s13 + s14 + s15;
        for (; i < to; i++) {
            total += x[i];
        }
        return total;
    }
}

package dev.memdec.plugin.mlp;

import dev.memdec.converter.quant.Q8_0Block;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The matrix-vector products of {@link Matrix} on the Java Vector API, at the machine's preferred width (512-bit
 * on AVX-512, 256-bit on AVX2). Loaded only when {@code jdk.incubator.vector} is resolved ({@link Matrix#VECTOR}).
 * A batch-1 product reads every weight once, so the aim is to keep the loads streaming: several independent
 * accumulators per row, nothing allocated (the JIT scalar-replaces the vector values).
 */
final class VectorKernels {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Bytes that widen to one float vector: the same lane count at a quarter of the width. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 4));

    /** Shorts that widen to one float vector: the same lane count at half the width. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** 2^112: rebases an F16 exponent (bias 15) placed in an F32's exponent field (bias 127). */
    private static final float F16_REBASE = 0x1p112f;

    /** Butterfly steps of {@link #sum}: lane i meets lane i ^ L/2, then i ^ L/4, ... */
    private static final VectorShuffle<Float>[] HALVES = halves();

    static {
        if (Q8_0Block.ELEMENTS % L != 0) {
            throw new IllegalStateException("a Q8_0 block of " + Q8_0Block.ELEMENTS + " is not a whole number of "
                    + L + "-lane vectors");
        }
    }

    private VectorKernels() {
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] halves() {
        int steps = Integer.numberOfTrailingZeros(L);
        VectorShuffle<Float>[] h = new VectorShuffle[steps];
        for (int k = 0; k < steps; k++) {
            int distance = L >> (k + 1);
            h[k] = VectorShuffle.fromOp(F, i -> i ^ distance);
        }
        return h;
    }

    /**
     * The sum of the lanes in a fixed order. {@code reduceLanes(ADD)} may add in one order when compiled and another
     * when interpreted, so the same input could give logits that differ in the last bit before and after warm-up;
     * lane-wise adds are exact IEEE operations in both.
     */
    private static float sum(FloatVector v) {
        for (VectorShuffle<Float> h : HALVES) {
            v = v.add(v.rearrange(h));
        }
        return v.lane(0);
    }

    static String describe() {
        return "vector " + F.vectorBitSize() + "-bit (" + L + " floats)";
    }

    /** {@code out[r] = w[r·cols ..] · in} for rows {@code [from, to)}; any cols (a scalar tail past the last vector). */
    static void f32(float[] w, int cols, float[] in, float[] out, int from, int to) {
        int wide = cols - cols % (4 * L);
        int whole = cols - cols % L;
        for (int r = from; r < to; r++) {
            int off = r * cols;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            int i = 0;
            for (; i < wide; i += 4 * L) {
                a0 = FloatVector.fromArray(F, w, off + i).fma(FloatVector.fromArray(F, in, i), a0);
                a1 = FloatVector.fromArray(F, w, off + i + L).fma(FloatVector.fromArray(F, in, i + L), a1);
                a2 = FloatVector.fromArray(F, w, off + i + 2 * L).fma(FloatVector.fromArray(F, in, i + 2 * L), a2);
                a3 = FloatVector.fromArray(F, w, off + i + 3 * L).fma(FloatVector.fromArray(F, in, i + 3 * L), a3);
            }
            for (; i < whole; i += L) {
                a0 = FloatVector.fromArray(F, w, off + i).fma(FloatVector.fromArray(F, in, i), a0);
            }
            float sum = sum(a0.add(a1).add(a2.add(a3)));
            for (; i < cols; i++) {
                sum += w[off + i] * in[i];
            }
            out[r] = sum;
        }
    }

    /** F16 or BF16 rows widened to F32 lane by lane; any cols (a scalar tail past the last vector). */
    static void half(short[] w, boolean bf16, int cols, float[] in, float[] out, int from, int to) {
        int wide = cols - cols % (2 * L);
        int whole = cols - cols % L;
        for (int r = from; r < to; r++) {
            int off = r * cols;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            int i = 0;
            for (; i < wide; i += 2 * L) {
                a0 = widen(w, off + i, bf16).fma(FloatVector.fromArray(F, in, i), a0);
                a1 = widen(w, off + i + L, bf16).fma(FloatVector.fromArray(F, in, i + L), a1);
            }
            for (; i < whole; i += L) {
                a0 = widen(w, off + i, bf16).fma(FloatVector.fromArray(F, in, i), a0);
            }
            float sum = sum(a0.add(a1));
            for (; i < cols; i++) {
                sum += (bf16 ? Float.intBitsToFloat(w[off + i] << 16) : Float.float16ToFloat(w[off + i])) * in[i];
            }
            out[r] = sum;
        }
    }

    /** L half-precision values from {@code w[at ..]} as floats. */
    private static FloatVector widen(short[] w, int at, boolean bf16) {
        IntVector bits = (IntVector) ShortVector.fromArray(S, w, at).convertShape(VectorOperators.S2I, I, 0);
        if (bf16) {
            return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        }
        IntVector sign = bits.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        FloatVector magnitude = bits.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(F16_REBASE);
        return magnitude.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }

    /**
     * Q8_0 rows: per block, the 8-bit values widen to floats and meet the input in a fused multiply-add; the block's
     * sum is scaled by its F16 scale into one of two row accumulators (even and odd blocks, so consecutive blocks do
     * not wait on each other). cols is a multiple of the block size (the GGUF reader checks it).
     */
    static void q8(byte[] q, short[] scales, int cols, float[] in, float[] out, int from, int to) {
        int n = Q8_0Block.ELEMENTS;
        int blocks = cols / n;
        for (int r = from; r < to; r++) {
            int base = r * cols;
            int sb = r * blocks;
            FloatVector even = FloatVector.zero(F);
            FloatVector odd = FloatVector.zero(F);
            int b = 0;
            for (; b + 1 < blocks; b += 2) {
                even = block(q, base + b * n, in, b * n).fma(FloatVector.broadcast(F, Float.float16ToFloat(scales[sb + b])), even);
                odd = block(q, base + (b + 1) * n, in, (b + 1) * n).fma(FloatVector.broadcast(F, Float.float16ToFloat(scales[sb + b + 1])), odd);
            }
            if (b < blocks) {
                even = block(q, base + b * n, in, b * n).fma(FloatVector.broadcast(F, Float.float16ToFloat(scales[sb + b])), even);
            }
            out[r] = sum(even.add(odd));
        }
    }

    /** Lane-wise Σ over one block of {@code q[off ..] × in[x ..]}, unscaled. */
    private static FloatVector block(byte[] q, int off, float[] in, int x) {
        FloatVector s = FloatVector.zero(F);
        for (int p = 0; p < Q8_0Block.ELEMENTS; p += L) {
            FloatVector w = (FloatVector) ByteVector.fromArray(B, q, off + p).convertShape(VectorOperators.B2F, F, 0);
            s = w.fma(FloatVector.fromArray(F, in, x + p), s);
        }
        return s;
    }
}

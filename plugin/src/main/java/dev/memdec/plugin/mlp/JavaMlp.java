package dev.memdec.plugin.mlp;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.converter.quant.Q8_0Block;
import dev.memdec.plugin.parallel.WorkerTeam;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The MLP memory's forward in Java ({@link MlpMemory.Engine#JAVA}): Q8_0, F16 and BF16 matrices stay as stored, other
 * types (F32 and Q4_0) are decoded to F32 once at load; large matrix-vector products run on the Vector API
 * ({@link Matrix}) and are split by rows across the calling thread and {@code threads - 1} persistent daemon workers.
 * Every logit is the same dot product in the same order whatever the thread count or batch size.
 */
final class JavaMlp implements MlpForward {

    private final MlpMemoryConfig config;
    private final MlpWeights<Matrix, float[]> w;
    /** Scratch per batch row, grown to the largest batch seen: the residual stream, the normed input, the FFN. */
    private float[][] x = new float[0][];
    private float[][] h = new float[0][];
    private float[][] hidden = new float[0][];
    private float[][] gated = new float[0][];
    private float[][] out = new float[0][];

    /** Matrices smaller than this many weights are not worth splitting across threads. */
    private static final int PARALLEL_MIN_WEIGHTS = 1 << 16;

    /** Null with one thread. */
    private final WorkerTeam team;

    /** {@code out[b] = m·in[b]} for the first {@code batch} rows, split across the team when large enough. */
    private void apply(Matrix m, float[][] in, float[][] out, int batch) {
        if (team == null || (long) m.rows() * m.cols() * batch < PARALLEL_MIN_WEIGHTS) {
            m.applyBatch(in, out, batch, 0, m.rows(), Matrix.VECTOR);
        } else {
            applySplit(team, m, in, out, batch, Matrix.VECTOR);
        }
    }

    /**
     * {@code out[b] = m·in[b]} for {@code b < batch}, m's rows split in equal shares across the team's threads (the
     * calling thread the first), with the vector kernel when {@code vector}.
     */
    static void applySplit(WorkerTeam team, Matrix m, float[][] in, float[][] out, int batch, boolean vector) {
        int parts = team.size();
        team.run(p -> m.applyBatch(in, out, batch, (int) ((long) m.rows() * p / parts),
                (int) ((long) m.rows() * (p + 1) / parts), vector));
    }

    JavaMlp(MlpMemoryConfig c, GgufFile f, int threads) {
        this.config = c;
        w = MlpWeights.load(c, name -> matrix(f, name), name -> vector(f, name));
        team = threads > 1 ? new WorkerTeam(threads, "memdec-mlp") : null; // after the load, which may throw
        scratch(1);
    }

    /** Makes the scratch arrays hold at least {@code rows} rows. */
    private void scratch(int rows) {
        if (x.length >= rows) {
            return;
        }
        MlpMemoryConfig c = config;
        x = grow(x, rows, c.width());
        h = grow(h, rows, c.width());
        hidden = grow(hidden, rows, c.ff());
        gated = grow(gated, rows, c.ff());
        out = grow(out, rows, c.vocab());
    }

    private static float[][] grow(float[][] a, int rows, int width) {
        float[][] g = java.util.Arrays.copyOf(a, rows);
        for (int r = a.length; r < rows; r++) {
            g[r] = new float[width];
        }
        return g;
    }

    /** Bytes of weights one forward reads, as held (Q8_0, F16 and BF16 as stored, the rest F32). */
    @Override
    public long weightBytes() {
        long matrices = 0;
        long elements = 0;
        for (Matrix m : w.matrices()) {
            matrices += m.bytes();
            elements += (long) m.rows() * m.cols();
        }
        return matrices + (config.parameterCount() - elements) * Float.BYTES;
    }


    /** As {@link MlpMemory#logits(float[], int, int, float[])}, the arguments checked. */
    @Override
    public void logits(float[] keys, int offset, int rows, float[] logits) {
        MlpMemoryConfig c = config;
        scratch(rows);
        if (w.input() != null) {
            float[][] in = new float[rows][];
            for (int r = 0; r < rows; r++) {
                int from = offset + r * c.inputWidth();
                in[r] = java.util.Arrays.copyOfRange(keys, from, from + c.inputWidth());
            }
            apply(w.input(), in, x, rows);
            if (w.inputBias() != null) {
                for (int r = 0; r < rows; r++) {
                    add(x[r], w.inputBias());
                }
            }
        } else {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(keys, offset + r * c.inputWidth(), x[r], 0, c.width());
            }
        }
        boolean gpt2 = c.flavour() == MlpMemoryConfig.Flavour.GPT2;
        for (int b = 0; b < c.blocks(); b++) {
            for (int r = 0; r < rows; r++) {
                normalize(x[r], w.norm().get(b), w.normBias().get(b), h[r]);
            }
            apply(w.up().get(b), h, hidden, rows);
            if (!gpt2) {
                apply(w.gate().get(b), h, gated, rows);
            }
            for (int r = 0; r < rows; r++) {
                float[] u = hidden[r];
                if (gpt2) {
                    add(u, w.upBias().get(b));
                    for (int i = 0; i < u.length; i++) {
                        u[i] = gelu(u[i]);
                    }
                } else {
                    float[] g = gated[r];
                    for (int i = 0; i < u.length; i++) {
                        u[i] *= g[i] / (1f + (float) Math.exp(-g[i]));
                    }
                }
            }
            apply(w.down().get(b), hidden, h, rows);
            for (int r = 0; r < rows; r++) {
                if (gpt2) {
                    add(h[r], w.downBias().get(b));
                }
                add(x[r], h[r]);
            }
        }
        for (int r = 0; r < rows; r++) {
            normalize(x[r], w.outputNorm(), w.outputNormBias(), h[r]);
        }
        if (rows == 1) {
            apply(w.output(), h, new float[][] {logits}, 1);   // straight into the caller's array
            return;
        }
        apply(w.output(), h, out, rows);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(out[r], 0, logits, r * c.vocab(), c.vocab());
        }
    }

    /** LayerNorm (with bias) or RMSNorm (bias null), as the flavour asks. */
    private void normalize(float[] in, float[] gain, float[] bias, float[] out) {
        int n = in.length;
        float eps = config.eps();
        if (bias != null) {
            double mean = 0;
            for (float v : in) {
                mean += v;
            }
            mean /= n;
            double var = 0;
            for (float v : in) {
                var += (v - mean) * (v - mean);
            }
            float inv = (float) (1 / Math.sqrt(var / n + eps));
            for (int i = 0; i < n; i++) {
                out[i] = (float) (in[i] - mean) * inv * gain[i] + bias[i];
            }
        } else {
            double ss = 0;
            for (float v : in) {
                ss += (double) v * v;
            }
            float inv = (float) (1 / Math.sqrt(ss / n + eps));
            for (int i = 0; i < n; i++) {
                out[i] = in[i] * inv * gain[i];
            }
        }
    }

    /** GELU, tanh form (GPT-2's "gelu_new"). */
    static float gelu(float v) {
        double u = 0.7978845608028654 * (v + 0.044715 * v * v * v);
        return (float) (0.5 * v * (1 + Math.tanh(u)));
    }

    private static void add(float[] acc, float[] b) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += b[i];
        }
    }

    private static float[] vector(GgufFile f, String name) {
        return f.readFloats(f.tensor(name).orElseThrow());
    }

    /**
     * A GGUF matrix with ne = {in, out} is row-major [out × in]: row r is output r's weights. Q8_0, BF16 and F16 (when
     * finite) stay as the file holds them; every other type is decoded to F32.
     */
    private static Matrix matrix(GgufFile f, String name) {
        GgufTensorInfo t = f.tensor(name).orElseThrow();
        int rows = Math.toIntExact(t.ne(1));
        int cols = Math.toIntExact(t.ne(0));
        MemorySegment data = f.data(t);
        if (t.type() == GgmlType.F16 || t.type() == GgmlType.BF16) {
            short[] w = new short[Math.multiplyExact(rows, cols)];
            MemorySegment.copy(data, ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, w, 0, w.length);
            if (t.type() == GgmlType.BF16 || HalfMatrix.finiteF16(w)) {
                return new HalfMatrix(w, rows, cols, t.type() == GgmlType.BF16);
            }
        }
        if (t.type() != GgmlType.Q8_0) {
            return new F32Matrix(f.readFloats(t), rows, cols);
        }
        int blocks = Math.toIntExact((long) rows * cols / Q8_0Block.ELEMENTS);
        byte[] q = new byte[Math.multiplyExact(blocks, Q8_0Block.ELEMENTS)];
        short[] scales = new short[blocks];
        for (int b = 0; b < blocks; b++) {
            long at = (long) b * Q8_0Block.BYTES;
            scales[b] = data.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at);
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, at + Short.BYTES, q, b * Q8_0Block.ELEMENTS,
                    Q8_0Block.ELEMENTS);
        }
        return new Q8Matrix(q, scales, rows, cols);
    }

    @Override
    public String kernel() {
        return Matrix.kernel();
    }

    /** Ends the worker threads. */
    @Override
    public void close() {
        if (team != null) {
            team.close();
        }
    }
}

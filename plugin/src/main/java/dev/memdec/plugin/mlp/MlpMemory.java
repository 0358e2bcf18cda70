package dev.memdec.plugin.mlp;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.converter.mlp.MlpMemoryGguf;
import dev.memdec.converter.mlp.MlpMemoryTensors;
import dev.memdec.converter.quant.Q8_0Block;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * An MLP memory loaded for inference: next-token logits from one host hidden state (the last block's FFN input,
 * the kNN key), with no attention and no cache, so a step costs the same at any context length.
 *
 * <p>The file is validated by {@link MlpMemoryGguf#read} (every key, tensor, shape and type) before anything is
 * used; Q8_0, F16 and BF16 matrices stay as stored, other types (F32 and Q4_0) are decoded to F32 once at load. One instance may be used by one
 * thread at a time (it owns its scratch buffers); large matrix-vector products run on the Vector API ({@link Matrix})
 * and are split by rows across the calling thread and {@code threads - 1} persistent daemon workers.
 */
public final class MlpMemory {

    private final Path path;
    private final MlpMemoryConfig config;
    private final Matrix input;
    private final float[] inputBias;
    private final float[][] norm;
    private final float[][] normBias;
    private final Matrix[] gate;
    private final Matrix[] up;
    private final float[][] upBias;
    private final Matrix[] down;
    private final float[][] downBias;
    private final float[] outputNorm;
    private final float[] outputNormBias;
    private final Matrix output;
    /** Scratch per batch row, grown to the largest batch seen: the residual stream, the normed input, the FFN. */
    private float[][] x = new float[0][];
    private float[][] h = new float[0][];
    private float[][] hidden = new float[0][];
    private float[][] gated = new float[0][];
    private float[][] out = new float[0][];

    /** Matrices smaller than this many weights are not worth splitting across threads. */
    private static final int PARALLEL_MIN_WEIGHTS = 1 << 16;

    /** Stops an unreachable memory's worker threads. */
    private static final Cleaner CLEANER = Cleaner.create();

    /** Null with one thread. */
    private final RowSplitter splitter;
    /** Whether products run on the Vector API (false only for {@link MlpForwardBenchmark}'s scalar baseline). */
    private final boolean vectorKernel;

    /** {@code out[b] = m·in[b]} for the first {@code batch} rows, split across the threads when large enough. */
    private void apply(Matrix m, float[][] in, float[][] out, int batch) {
        if (splitter == null || (long) m.rows() * m.cols() * batch < PARALLEL_MIN_WEIGHTS) {
            m.applyBatch(in, out, batch, 0, m.rows(), vectorKernel);
        } else {
            splitter.apply(m, in, out, batch, vectorKernel);
        }
    }

    private MlpMemory(Path path, MlpMemoryConfig c, GgufFile f, int threads, boolean vector) {
        this.path = path;
        this.vectorKernel = vector;
        this.config = c;
        if (threads > 1) {
            RowSplitter rows = new RowSplitter(threads, "memdec-mlp");
            splitter = rows;
            CLEANER.register(this, rows::shutdown);
        } else {
            splitter = null;
        }
        boolean gpt2 = c.flavour() == MlpMemoryConfig.Flavour.GPT2;
        input = c.projects() ? matrix(f, MlpMemoryTensors.INPUT) : null;
        inputBias = c.projects() && gpt2 ? vector(f, MlpMemoryTensors.INPUT_BIAS) : null;
        int n = c.blocks();
        norm = new float[n][];
        normBias = new float[n][];
        gate = new Matrix[n];
        up = new Matrix[n];
        upBias = new float[n][];
        down = new Matrix[n];
        downBias = new float[n][];
        for (int b = 0; b < n; b++) {
            norm[b] = vector(f, MlpMemoryTensors.norm(b));
            up[b] = matrix(f, MlpMemoryTensors.up(b));
            down[b] = matrix(f, MlpMemoryTensors.down(b));
            if (gpt2) {
                normBias[b] = vector(f, MlpMemoryTensors.normBias(b));
                upBias[b] = vector(f, MlpMemoryTensors.upBias(b));
                downBias[b] = vector(f, MlpMemoryTensors.downBias(b));
            } else {
                gate[b] = matrix(f, MlpMemoryTensors.gate(b));
            }
        }
        outputNorm = vector(f, MlpMemoryTensors.OUTPUT_NORM);
        outputNormBias = gpt2 ? vector(f, MlpMemoryTensors.OUTPUT_NORM_BIAS) : null;
        output = matrix(f, MlpMemoryTensors.OUTPUT);
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

    /**
     * Reads and validates an MLP memory GGUF.
     *
     * @throws IllegalArgumentException if the file is missing, not an MLP memory, or malformed (one line naming it)
     * @throws IOException              if it cannot be read as GGUF at all
     */
    public static MlpMemory open(Path path) throws IOException {
        return open(path, 1);
    }

    /**
     * As {@link #open(Path)}, running each large matrix-vector product on {@code threads} threads (the host's
     * decode thread count: the two never run at the same time).
     */
    public static MlpMemory open(Path path, int threads) throws IOException {
        return open(path, threads, Matrix.VECTOR);
    }

    /** As {@link #open(Path, int)}; {@code vector} false runs the scalar loops even where the Vector API is present. */
    static MlpMemory open(Path path, int threads, boolean vector) throws IOException {
        if (vector && !Matrix.VECTOR) {
            throw new IllegalArgumentException("the vector kernel needs the JVM flag --add-modules jdk.incubator.vector");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("MLP memory file not found: " + path);
        }
        try (GgufFile f = GgufFile.open(path)) {
            return new MlpMemory(path, MlpMemoryGguf.read(f), f, threads, vector);
        }
    }

    /** True when the GGUF at {@code path} declares the MLP memory architecture. */
    public static boolean isMlpMemory(Path path) throws IOException {
        try (GgufFile f = GgufFile.open(path)) {
            return MlpMemoryGguf.isMlpMemory(f);
        }
    }

    public Path path() {
        return path;
    }

    public MlpMemoryConfig config() {
        return config;
    }

    /** The matrix-vector kernel this JVM runs, e.g. {@code "vector 512-bit (16 floats)"}. */
    public static String kernel() {
        return Matrix.kernel();
    }

    /** Bytes of weights one forward reads, as held at run time (Q8_0, F16 and BF16 as stored, the rest F32). */
    public long weightBytes() {
        long matrices = 0;
        long elements = 0;
        for (Matrix m : matrices()) {
            matrices += m.bytes();
            elements += (long) m.rows() * m.cols();
        }
        return matrices + (config.parameterCount() - elements) * Float.BYTES;
    }

    private java.util.List<Matrix> matrices() {
        java.util.List<Matrix> all = new java.util.ArrayList<>();
        if (input != null) {
            all.add(input);
        }
        for (int b = 0; b < config.blocks(); b++) {
            all.add(up[b]);
            all.add(down[b]);
            if (gate[b] != null) {
                all.add(gate[b]);
            }
        }
        all.add(output);
        return all;
    }

    /**
     * Refuses a host the memory was not trained on: another architecture, width or tokenizer. A host file whose
     * hash differs from the recorded one (a re-quantized or fine-tuned host of the same shape) is allowed; the
     * returned warning says so.
     *
     * @param architecture    the host's {@code general.architecture}
     * @param width           the host's n_embd
     * @param tokenizerSha256 the host's tokenizer hash ({@code memdec.tokenizer_sha256} or computed)
     * @param fileSha256      the host file's SHA-256, or null when not computed
     * @throws IllegalArgumentException one line naming the difference
     */
    public Optional<String> checkHost(String architecture, int width, String tokenizerSha256, String fileSha256) {
        MlpMemoryConfig.Host h = config.host();
        if (!h.architecture().equals(architecture)) {
            throw new IllegalArgumentException(path + ": this MLP memory reads a " + h.architecture()
                    + " host's hidden state, but the host is " + architecture);
        }
        if (h.width() != width) {
            throw new IllegalArgumentException(path + ": this MLP memory reads " + h.width()
                    + "-wide hidden states (memdec.host.embedding_length), but the host's n_embd is " + width);
        }
        if (!config.tokenizerSha256().equals(tokenizerSha256)) {
            throw new IllegalArgumentException(path + ": the host's tokenizer (sha256 " + tokenizerSha256
                    + ") differs from the one the MLP memory was trained with (" + config.tokenizerSha256() + ")");
        }
        if (fileSha256 != null && !h.fileSha256().isEmpty() && !h.fileSha256().equals(fileSha256)) {
            return Optional.of("warning: " + path + " was trained on host file sha256 " + h.fileSha256()
                    + ", this host is " + fileSha256 + " (same architecture and width; quality may differ)");
        }
        return Optional.empty();
    }

    /**
     * Next-token logits for one host hidden state.
     *
     * @param key    {@link MlpMemoryConfig#inputWidth()} floats (the host's last-FFN input at one position)
     * @param logits at least vocab floats; receives the memory's raw logits
     */
    public void logits(float[] key, int keyOffset, float[] logits) {
        MlpMemoryConfig c = config;
        if (key.length - keyOffset < c.inputWidth() || logits.length < c.vocab()) {
            throw new IllegalArgumentException("key needs " + c.inputWidth() + " floats and logits " + c.vocab());
        }
        logits(key, keyOffset, 1, logits);
    }

    /**
     * Next-token logits for {@code rows} consecutive hidden states ({@code keys[offset + r·inputWidth ..]}) into
     * {@code logits[r·vocab ..]}: every value equals {@link #logits(float[], int, float[])}'s for that row (each is
     * the same dot product, in the same order), but each tile of weights is read once for all the rows, so a batch
     * (a window's positions in perplexity) runs from cache instead of re-reading the weights per row.
     */
    public void logits(float[] keys, int offset, int rows, float[] logits) {
        MlpMemoryConfig c = config;
        if (rows < 1 || offset < 0 || keys.length - offset < (long) rows * c.inputWidth()
                || logits.length < (long) rows * c.vocab()) {
            throw new IllegalArgumentException(rows + " rows need " + c.inputWidth() + " key floats and " + c.vocab()
                    + " logits each");
        }
        scratch(rows);
        if (input != null) {
            float[][] in = new float[rows][];
            for (int r = 0; r < rows; r++) {
                int from = offset + r * c.inputWidth();
                in[r] = java.util.Arrays.copyOfRange(keys, from, from + c.inputWidth());
            }
            apply(input, in, x, rows);
            if (inputBias != null) {
                for (int r = 0; r < rows; r++) {
                    add(x[r], inputBias);
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
                normalize(x[r], norm[b], gpt2 ? normBias[b] : null, h[r]);
            }
            apply(up[b], h, hidden, rows);
            if (!gpt2) {
                apply(gate[b], h, gated, rows);
            }
            for (int r = 0; r < rows; r++) {
                float[] u = hidden[r];
                if (gpt2) {
                    add(u, upBias[b]);
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
            apply(down[b], hidden, h, rows);
            for (int r = 0; r < rows; r++) {
                if (gpt2) {
                    add(h[r], downBias[b]);
                }
                add(x[r], h[r]);
            }
        }
        for (int r = 0; r < rows; r++) {
            normalize(x[r], outputNorm, outputNormBias, h[r]);
        }
        if (rows == 1) {
            apply(output, h, new float[][] {logits}, 1);   // straight into the caller's array
            return;
        }
        apply(output, h, out, rows);
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
}

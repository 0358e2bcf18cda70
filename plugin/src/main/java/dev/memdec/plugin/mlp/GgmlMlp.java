package dev.memdec.plugin.mlp;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.converter.mlp.MlpMemoryTensors;
import dev.memdec.natives.llama.GgmlCompute;
import dev.memdec.natives.llama.GgmlCompute.Context;
import dev.memdec.natives.llama.GgmlCompute.Tensor;
import dev.memdec.natives.llama.LlamaRuntime;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The MLP memory's forward as a ggml graph on the llama.cpp runtime's CPU backend ({@link MlpMemory.Engine#GGML}):
 * the weights are copied once, as stored (F32, F16, BF16, Q8_0 or Q4_0), into one ggml context, and one graph per
 * batch size (the few most recent) holds the input rows, the activations and the logits. The graph is the same
 * computation as the Java kernels' (norm, up, GELU or SwiGLU, down, residual; final norm; head), with GPT-2's tanh
 * GELU written as {@code x·sigmoid(2u)} from exact element-wise ops, since ggml's own GELU reads a half-precision table.
 * Matrix products run ggml's kernels: on F32 weights they agree with the Java kernels to float rounding; on F16,
 * BF16, Q8_0 and Q4_0 weights ggml rounds the activations to the weights' type first, as llama.cpp does for a host.
 */
final class GgmlMlp implements MlpForward {

    /**
     * Below this many bytes of weights the forward runs on one thread: the barriers between a graph's ~20 nodes then
     * cost more than a second core saves (a 1.4 MB memory: 0.14 ms on one thread, 0.21 ms on two; 61 MB: 4.8 vs 2.8).
     */
    static final long ONE_THREAD_BYTES = 4L << 20;

    /** Graphs kept, by batch size: single steps and a perplexity window's batches, without unbounded growth. */
    private static final int GRAPHS_KEPT = 3;
    /** sqrt(2/π), and GELU's cubic coefficient (GPT-2's "gelu_new"). */
    private static final float GELU_C = 0.7978845608028654f;
    private static final float GELU_CUBIC = 0.044715f;

    private final MlpMemoryConfig config;
    private final GgmlCompute cpu;
    private final Context weights;
    private final long weightBytes;
    private final MlpWeights<Tensor, Tensor> w;
    private final Map<Integer, Forward> graphs = new LinkedHashMap<>(8, 0.75f, true);

    /** One batch size's graph: its own context, the data of its input rows and of its logits, the graph. */
    private record Forward(Context context, MemorySegment keys, MemorySegment logits, MemorySegment graph) {
    }

    GgmlMlp(MlpMemoryConfig c, GgufFile f, int threads) {
        this.config = c;
        long bytes = 0;
        long data = 0;
        for (MlpMemoryTensors.Spec s : MlpMemoryTensors.of(c)) {
            GgufTensorInfo t = f.tensor(s.name()).orElseThrow();
            long b = t.ne().length == 1 ? 4 * t.ne(0) : ggmlBytes(t);
            data += b;
            bytes += Context.tensorBytes(b);
        }
        this.weightBytes = data;
        GgmlCompute compute = GgmlCompute.cpu(data < ONE_THREAD_BYTES ? 1 : threads);
        Context ctx;
        try {
            ctx = Context.allocate(bytes);
        } catch (RuntimeException e) {
            compute.close();
            throw e;
        }
        this.cpu = compute;
        this.weights = ctx;
        try {
            w = MlpWeights.load(c, name -> matrix(f, name), name -> vector(f, name));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Bytes of the tensors as held (every matrix as stored, vectors as F32). */
    @Override
    public long weightBytes() {
        return weightBytes;
    }

    /** The GGUF type ggml holds a matrix in: the stored one (the reader admits only types ggml computes with). */
    private static int ggmlType(GgufTensorInfo t) {
        GgmlType type = t.type();
        if (!type.canEncode()) {
            throw new IllegalArgumentException("tensor " + t.name() + " is " + type + "; the ggml engine takes F32, F16, "
                    + "BF16, Q8_0 or Q4_0");
        }
        return type.id();
    }

    private static long ggmlBytes(GgufTensorInfo t) {
        return t.ne(1) * GgmlCompute.rowBytes(ggmlType(t), t.ne(0));
    }

    private Tensor matrix(GgufFile f, String name) {
        GgufTensorInfo t = f.tensor(name).orElseThrow();
        Tensor m = weights.tensor(ggmlType(t), t.ne(0), t.ne(1));
        MemorySegment.copy(f.data(t), 0, m.data(), 0, ggmlBytes(t));
        return m;
    }

    private Tensor vector(GgufFile f, String name) {
        GgufTensorInfo t = f.tensor(name).orElseThrow();
        float[] v = f.readFloats(t);
        Tensor m = weights.tensor(GgmlCompute.F32, v.length, 1);
        MemorySegment.copy(v, 0, m.data(), ValueLayout.JAVA_FLOAT_UNALIGNED, 0, v.length);
        return m;
    }

    @Override
    public void logits(float[] keys, int offset, int rows, float[] logits) {
        Forward fw = graphs.get(rows);
        if (fw == null) {
            fw = build(rows);
            graphs.put(rows, fw);
            if (graphs.size() > GRAPHS_KEPT) {
                Iterator<Forward> eldest = graphs.values().iterator();
                eldest.next().context().close();
                eldest.remove();
            }
        }
        int in = config.inputWidth();
        MemorySegment.copy(keys, offset, fw.keys(), ValueLayout.JAVA_FLOAT_UNALIGNED, 0, rows * in);
        cpu.compute(fw.graph());
        MemorySegment.copy(fw.logits(), ValueLayout.JAVA_FLOAT_UNALIGNED, 0, logits, 0, rows * config.vocab());
    }

    /** The graph for {@code rows} input rows, in a context sized for at most the tensors it makes. */
    private Forward build(int rows) {
        MlpMemoryConfig c = config;
        int widest = Math.max(Math.max(c.width(), c.ff()), c.inputWidth());
        // per block at most 15 results: norm, gain, bias, up, up bias, 7 GELU ops (or gate, SiLU, product), down,
        // down bias, residual; 16 leaves room
        int perBlock = 16;
        long nodes = 4 + (long) c.blocks() * perBlock + 4;
        long bytes = nodes * Context.tensorBytes(4L * widest * rows) + Context.tensorBytes(4L * c.vocab() * rows)
                + Context.graphBytes();
        Context ctx = Context.allocate(bytes);
        try {
            boolean gpt2 = c.flavour() == MlpMemoryConfig.Flavour.GPT2;
            Tensor keys = ctx.tensor(GgmlCompute.F32, c.inputWidth(), rows);
            Tensor x = keys;
            if (w.input() != null) {
                x = ctx.mulMat(w.input(), keys);
                if (w.inputBias() != null) {
                    x = ctx.add(x, w.inputBias());
                }
            }
            for (int b = 0; b < c.blocks(); b++) {
                Tensor h = normalize(ctx, x, w.norm().get(b), w.normBias().get(b));
                Tensor u = ctx.mulMat(w.up().get(b), h);
                if (gpt2) {
                    u = gelu(ctx, ctx.add(u, w.upBias().get(b)));
                } else {
                    u = ctx.mul(u, ctx.silu(ctx.mulMat(w.gate().get(b), h)));
                }
                Tensor d = ctx.mulMat(w.down().get(b), u);
                if (gpt2) {
                    d = ctx.add(d, w.downBias().get(b));
                }
                x = ctx.add(x, d);
            }
            Tensor logits = ctx.mulMat(w.output(), normalize(ctx, x, w.outputNorm(), w.outputNormBias()));
            return new Forward(ctx, keys.data(), logits.data(), ctx.graph(logits));
        } catch (RuntimeException e) {
            ctx.close();
            throw e;
        }
    }

    /** LayerNorm with gain and bias, or RMSNorm with gain (bias null), as the flavour asks. */
    private Tensor normalize(Context ctx, Tensor x, Tensor gain, Tensor bias) {
        float eps = config.eps();
        Tensor n = bias != null ? ctx.norm(x, eps) : ctx.rmsNorm(x, eps);
        n = ctx.mul(n, gain);
        return bias != null ? ctx.add(n, bias) : n;
    }

    /** GELU, tanh form: {@code 0.5·x·(1 + tanh(u)) = x·sigmoid(2u)}, {@code u = √(2/π)·(x + 0.044715·x³)}. */
    private static Tensor gelu(Context ctx, Tensor x) {
        Tensor cube = ctx.mul(ctx.mul(x, x), x);
        Tensor u = ctx.add(x, ctx.scale(cube, GELU_CUBIC));
        return ctx.mul(x, ctx.sigmoid(ctx.scale(u, 2 * GELU_C)));
    }

    @Override
    public String kernel() {
        return "ggml (llama.cpp runtime " + LlamaRuntime.get().profile() + ", CPU)";
    }

    @Override
    public void close() {
        for (Forward fw : graphs.values()) {
            fw.context().close();
        }
        graphs.clear();
        if (weights != null) {
            weights.close();
        }
        if (cpu != null) {
            cpu.close();
        }
    }
}

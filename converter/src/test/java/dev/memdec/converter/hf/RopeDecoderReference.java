package dev.memdec.converter.hf;

import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gpt2.Gpt2ReferenceModel;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Function;

/**
 * An independent plain-Java forward pass of HF's rotary decoders, from their {@code modeling_*.py}:
 * {@code LlamaForCausalLM} / {@code Qwen2ForCausalLM} ({@link Block#LLAMA}: RMSNorm, rotary embeddings with
 * {@code rope_theta}, grouped-query attention with a causal mask, a SwiGLU MLP, optional q/k/v (and o) biases),
 * {@code Qwen3ForCausalLM} ({@link Block#QWEN3}: per-head RMSNorm of queries and keys before the rotation),
 * {@code Gemma3ForCausalLM} ({@link Block#GEMMA3}: embeddings times sqrt(hidden), Gemma's {@code x * (1 + w)} RMSNorms,
 * per-head q/k norms, a norm after attention and after the MLP, GELU-tanh gated MLP, sliding-window attention with
 * the local rotary base on five of every six layers, the global base on the sixth) and {@code Phi3ForCausalLM}
 * ({@link Block#PHI3}: one fused {@code qkv_proj}, one fused {@code gate_up_proj} holding the gate rows then the up
 * rows); tied or separate lm_head. Weights are looked up by HF tensor name in HF layout ({@code nn.Linear} [out, in]).
 * Besides the logits, {@link #forward} returns the input of the last layer's MLP (after its pre-MLP norm): memdec's
 * datastore key.
 *
 * <p>{@link RopePairing#HALF_SPLIT} is HF's {@code rotate_half}; {@link RopePairing#ADJACENT} is ggml's "normal"
 * rope, which llama.cpp's {@code llama} architecture applies: run on the converter's permuted Q/K weights it must
 * give HF's logits, which checks the permutation's meaning and not just its bookkeeping.
 */
public final class RopeDecoderReference {

    public enum RopePairing { HALF_SPLIT, ADJACENT }

    /** Which HF decoder layer: see the class comment. */
    public enum Block { LLAMA, QWEN3, GEMMA3, PHI3 }

    /**
     * Hyper-parameters as in config.json; {@code llama3Scaling} is null without {@code rope_scaling};
     * {@code slidingWindow} (Gemma 3's {@code sliding_window}, 0 for none) and {@code localRopeTheta} (its
     * {@code rope_local_base_freq}) apply to the sliding layers of {@link Block#GEMMA3} only.
     */
    public record Shape(int layers, int embd, int heads, int kvHeads, int headDim, int ff, int vocab, float rmsEps,
                        double ropeTheta, boolean tied, Llama3Scaling llama3Scaling, Block block, int slidingWindow,
                        double localRopeTheta) {

        /** A llama / qwen2 shape. */
        public Shape(int layers, int embd, int heads, int kvHeads, int headDim, int ff, int vocab, float rmsEps,
                     double ropeTheta, boolean tied, Llama3Scaling llama3Scaling) {
            this(layers, embd, heads, kvHeads, headDim, ff, vocab, rmsEps, ropeTheta, tied, llama3Scaling, Block.LLAMA, 0,
                    ropeTheta);
        }

        public Shape withLlama3Scaling(Llama3Scaling scaling) {
            return new Shape(layers, embd, heads, kvHeads, headDim, ff, vocab, rmsEps, ropeTheta, tied, scaling, block,
                    slidingWindow, localRopeTheta);
        }

        public Shape withBlock(Block b, int window, double localTheta) {
            return new Shape(layers, embd, heads, kvHeads, headDim, ff, vocab, rmsEps, ropeTheta, tied, llama3Scaling, b,
                    window, localTheta);
        }

        /** Gemma 3: every sixth layer attends globally, the others through the sliding window. */
        boolean sliding(int layer) {
            return block == Block.GEMMA3 && slidingWindow > 0 && (layer + 1) % 6 != 0;
        }
    }

    /** {@code rope_scaling: {"rope_type": "llama3", ...}} as HF's {@code _compute_llama3_parameters} reads it. */
    public record Llama3Scaling(double factor, double lowFreqFactor, double highFreqFactor, double originalMaxPositions) {
    }

    /**
     * @param logits       [tokens][vocab]
     * @param lastFfnInput [tokens][embd]: the last layer's MLP input, after its pre-MLP norm (the kNN key)
     */
    public record Forward(float[][] logits, float[][] lastFfnInput) {
    }

    private final Shape s;
    private final Function<String, Optional<float[]>> weights;
    private final RopePairing pairing;
    private final boolean llamaCppCpuGelu;

    public RopeDecoderReference(Shape shape, Function<String, Optional<float[]>> weights, RopePairing pairing) {
        this(shape, weights, pairing, false);
    }

    private RopeDecoderReference(Shape shape, Function<String, Optional<float[]>> weights, RopePairing pairing,
                                 boolean llamaCppCpuGelu) {
        this.s = shape;
        this.weights = weights;
        this.pairing = pairing;
        this.llamaCppCpuGelu = llamaCppCpuGelu;
    }

    /**
     * This reference with Gemma 3's GELU as llama.cpp's CPU backend tabulates it ({@link
     * Gpt2ReferenceModel#llamaCppCpuGelu}: input and output rounded to f16), the one documented approximation of
     * that backend; HF's exact {@code gelu_pytorch_tanh} otherwise (4e-4 apart in the logits of a 6-layer model).
     */
    public RopeDecoderReference withLlamaCppCpuGelu() {
        return new RopeDecoderReference(s, weights, pairing, true);
    }

    public static Shape shapeOf(SyntheticHfCheckpoint c) {
        return new Shape(c.layers(), c.embd(), c.heads(), c.kvHeads(), c.headDim(), c.ff(), c.vocabSize(),
                c.architecture() == HfArchitecture.QWEN2 ? 1e-6f : 1e-5f,
                c.architecture() == HfArchitecture.QWEN2 ? 1_000_000.0 : 500_000.0, c.tiedEmbeddings(), null);
    }

    /**
     * The shape of a GGUF of a rotary family ({@code llama}, {@code qwen2}, {@code qwen3}, {@code gemma3},
     * {@code phi3}) from its {@code <arch>.*} keys, as HF's config.json would give it. Gemma 3's local rotary base is
     * {@code rope.freq_base_swa} when the file has it, else 10,000 (HF's {@code rope_local_base_freq} and llama.cpp's
     * default alike); phi3's sliding window is not used (v0.5.0 disables Phi's SWA; memdec writes it as the context).
     */
    public static Shape shapeOf(GgufFile f) {
        String a = f.architecture();
        Block block = switch (a) {
            case "llama", "qwen2" -> Block.LLAMA;
            case "qwen3" -> Block.QWEN3;
            case "gemma3" -> Block.GEMMA3;
            case "phi3" -> Block.PHI3;
            default -> throw new IllegalArgumentException(f.name() + ": architecture " + a + " is not a rotary family");
        };
        int embd = (int) f.getUInt32(a + ".embedding_length");
        int heads = (int) f.getUInt32(a + ".attention.head_count");
        int headDim = f.find(a + ".attention.key_length").isPresent() ? (int) f.getUInt32(a + ".attention.key_length") : embd / heads;
        double theta = f.find(a + ".rope.freq_base").isPresent() ? f.getFloat32(a + ".rope.freq_base") : 10_000.0;
        int vocab = (int) f.tensor("token_embd.weight").orElseThrow().ne()[1];
        Shape shape = new Shape((int) f.getUInt32(a + ".block_count"), embd, heads,
                (int) f.getUInt32(a + ".attention.head_count_kv"), headDim, (int) f.getUInt32(a + ".feed_forward_length"),
                vocab, f.getFloat32(a + ".attention.layer_norm_rms_epsilon"), theta, f.tensor("output.weight").isEmpty(), null);
        if (block == Block.GEMMA3) {
            return shape.withBlock(block, (int) f.getUInt32(a + ".attention.sliding_window"),
                    f.find(a + ".rope.freq_base_swa").isPresent() ? f.getFloat32(a + ".rope.freq_base_swa") : 10_000.0);
        }
        return shape.withBlock(block, 0, theta);
    }

    private float[] w(String name) {
        return weights.apply(name).orElseThrow(() -> new IllegalArgumentException("no weight " + name));
    }

    /** Logits for every position, [tokens][vocab]. */
    public float[][] logits(int[] tokens) {
        return forward(tokens).logits();
    }

    /** Logits and the last layer's MLP input for every position. */
    public Forward forward(int[] tokens) {
        int e = s.embd();
        float[] embed = w("model.embed_tokens.weight");
        float embedScale = s.block() == Block.GEMMA3 ? (float) Math.sqrt(e) : 1f;
        float[][] x = new float[tokens.length][];
        for (int t = 0; t < tokens.length; t++) {
            x[t] = new float[e];
            for (int i = 0; i < e; i++) {
                x[t][i] = embed[tokens[t] * e + i] * embedScale;
            }
        }
        return forwardFrom(0, x);
    }

    /**
     * Logits and the last layer's MLP input for positions 0.. of {@code hidden}: the residual stream entering layer
     * {@code layer} (the previous layer's output), e.g. llama.cpp's own {@code l_out-<layer - 1>}, so that the layers
     * from {@code layer} on are checked without what earlier layers accumulated. {@code hidden} is not changed.
     */
    public Forward forwardFrom(int layer, float[][] hidden) {
        int n = hidden.length;
        int e = s.embd();
        int d = s.headDim();
        boolean gemma = s.block() == Block.GEMMA3;
        float[] embed = w("model.embed_tokens.weight");
        float[][] x = new float[n][];
        for (int t = 0; t < n; t++) {
            x[t] = hidden[t].clone();
        }
        float[][] lastFfnInput = new float[n][];
        for (int l = layer; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            float[][] q = new float[n][];
            float[][] k = new float[n][];
            float[][] v = new float[n][];
            double theta = s.sliding(l) ? s.localRopeTheta() : s.ropeTheta();
            for (int t = 0; t < n; t++) {
                float[] h = rmsNorm(x[t], w(p + "input_layernorm.weight"));
                if (s.block() == Block.PHI3) {
                    int qRows = s.heads() * d;
                    int kvRows = s.kvHeads() * d;
                    float[] qkv = linear(h, w(p + "self_attn.qkv_proj.weight"), Optional.empty(), qRows + 2 * kvRows);
                    q[t] = Arrays.copyOfRange(qkv, 0, qRows);
                    k[t] = Arrays.copyOfRange(qkv, qRows, qRows + kvRows);
                    v[t] = Arrays.copyOfRange(qkv, qRows + kvRows, qRows + 2 * kvRows);
                } else {
                    q[t] = linear(h, w(p + "self_attn.q_proj.weight"), weights.apply(p + "self_attn.q_proj.bias"), s.heads() * d);
                    k[t] = linear(h, w(p + "self_attn.k_proj.weight"), weights.apply(p + "self_attn.k_proj.bias"), s.kvHeads() * d);
                    v[t] = linear(h, w(p + "self_attn.v_proj.weight"), weights.apply(p + "self_attn.v_proj.bias"), s.kvHeads() * d);
                }
                if (s.block() == Block.QWEN3 || gemma) {
                    headNorm(q[t], s.heads(), w(p + "self_attn.q_norm.weight"));
                    headNorm(k[t], s.kvHeads(), w(p + "self_attn.k_norm.weight"));
                }
                rope(q[t], s.heads(), t, theta);
                rope(k[t], s.kvHeads(), t, theta);
            }
            int group = s.heads() / s.kvHeads();
            int window = s.sliding(l) ? s.slidingWindow() : Integer.MAX_VALUE;
            for (int t = 0; t < n; t++) {
                float[] attn = new float[s.heads() * d];
                int first = Math.max(0, t - window + 1); // HF's sliding mask: t - u < window
                for (int hq = 0; hq < s.heads(); hq++) {
                    int hk = hq / group;
                    double[] scores = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int u = first; u <= t; u++) {
                        double dot = 0;
                        for (int i = 0; i < d; i++) {
                            dot += (double) q[t][hq * d + i] * k[u][hk * d + i];
                        }
                        scores[u] = dot / Math.sqrt(d);
                        max = Math.max(max, scores[u]);
                    }
                    double sum = 0;
                    for (int u = first; u <= t; u++) {
                        scores[u] = Math.exp(scores[u] - max);
                        sum += scores[u];
                    }
                    for (int i = 0; i < d; i++) {
                        double acc = 0;
                        for (int u = first; u <= t; u++) {
                            acc += scores[u] / sum * v[u][hk * d + i];
                        }
                        attn[hq * d + i] = (float) acc;
                    }
                }
                float[] o = linear(attn, w(p + "self_attn.o_proj.weight"), weights.apply(p + "self_attn.o_proj.bias"), e);
                if (gemma) {
                    o = rmsNorm(o, w(p + "post_attention_layernorm.weight"));
                }
                for (int i = 0; i < e; i++) {
                    x[t][i] += o[i];
                }
                float[] h2 = rmsNorm(x[t], w(p + (gemma ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight")));
                if (l == s.layers() - 1) {
                    lastFfnInput[t] = h2;
                }
                float[] gate;
                float[] up;
                if (s.block() == Block.PHI3) {
                    float[] gateUp = linear(h2, w(p + "mlp.gate_up_proj.weight"), Optional.empty(), 2 * s.ff());
                    gate = Arrays.copyOfRange(gateUp, 0, s.ff());
                    up = Arrays.copyOfRange(gateUp, s.ff(), 2 * s.ff());
                } else {
                    gate = linear(h2, w(p + "mlp.gate_proj.weight"), Optional.empty(), s.ff());
                    up = linear(h2, w(p + "mlp.up_proj.weight"), Optional.empty(), s.ff());
                }
                for (int i = 0; i < s.ff(); i++) {
                    gate[i] = (float) ((gemma ? gelu(gate[i]) : gate[i] / (1 + Math.exp(-gate[i]))) * up[i]);
                }
                float[] down = linear(gate, w(p + "mlp.down_proj.weight"), Optional.empty(), e);
                if (gemma) {
                    down = rmsNorm(down, w(p + "post_feedforward_layernorm.weight"));
                }
                for (int i = 0; i < e; i++) {
                    x[t][i] += down[i];
                }
            }
        }
        float[] head = s.tied() ? embed : w("lm_head.weight");
        float[][] logits = new float[n][];
        for (int t = 0; t < n; t++) {
            logits[t] = linear(rmsNorm(x[t], w("model.norm.weight")), head, Optional.empty(), s.vocab());
        }
        return new Forward(logits, lastFfnInput);
    }

    private double gelu(float x) {
        return llamaCppCpuGelu ? Gpt2ReferenceModel.llamaCppCpuGelu(x) : geluTanh(x);
    }

    /** HF's {@code gelu_pytorch_tanh}. */
    private static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /** Qwen3/Gemma3 q_norm / k_norm: an RMSNorm over each head's {@code head_dim} values, in place. */
    private void headNorm(float[] v, int heads, float[] weight) {
        int d = s.headDim();
        for (int h = 0; h < heads; h++) {
            float[] normed = rmsNorm(Arrays.copyOfRange(v, h * d, (h + 1) * d), weight);
            System.arraycopy(normed, 0, v, h * d, d);
        }
    }

    /** HF LlamaRMSNorm: x / sqrt(mean(x²) + eps) * weight; Gemma3RMSNorm: the same times (1 + weight). */
    private float[] rmsNorm(float[] x, float[] weight) {
        double ss = 0;
        for (float f : x) {
            ss += (double) f * f;
        }
        double scale = 1 / Math.sqrt(ss / x.length + s.rmsEps());
        double offset = s.block() == Block.GEMMA3 ? 1 : 0;
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) (x[i] * scale * (offset + weight[i]));
        }
        return out;
    }

    /** y = W x + b for an [out, in] row-major W. */
    private static float[] linear(float[] x, float[] w, Optional<float[]> bias, int out) {
        int in = x.length;
        float[] y = new float[out];
        for (int r = 0; r < out; r++) {
            double acc = 0;
            for (int c = 0; c < in; c++) {
                acc += (double) w[r * in + c] * x[c];
            }
            y[r] = (float) (acc + (bias.isPresent() ? bias.get()[r] : 0));
        }
        return y;
    }

    /**
     * HF's rotary inverse frequencies: theta^(-2i/d), and with llama3 scaling the low frequencies divided by
     * {@code factor} and the band between the two wavelength limits interpolated.
     */
    public double[] inverseFrequencies() {
        return inverseFrequencies(s.ropeTheta());
    }

    private double[] inverseFrequencies(double theta) {
        int d = s.headDim();
        double[] inv = new double[d / 2];
        Llama3Scaling r = s.llama3Scaling();
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(theta, 2.0 * i / d);
            if (r != null) {
                double wavelen = 2 * Math.PI / inv[i];
                double scaled = wavelen > r.originalMaxPositions() / r.lowFreqFactor() ? inv[i] / r.factor() : inv[i];
                boolean medium = !(wavelen < r.originalMaxPositions() / r.highFreqFactor())
                        && !(wavelen > r.originalMaxPositions() / r.lowFreqFactor());
                if (medium) {
                    double smooth = (r.originalMaxPositions() / wavelen - r.lowFreqFactor()) / (r.highFreqFactor() - r.lowFreqFactor());
                    scaled = (1 - smooth) * scaled / r.factor() + smooth * scaled;
                }
                inv[i] = scaled;
            }
        }
        return inv;
    }

    /** Rotates each head's pairs by pos·inv_freq[i]; which elements pair up depends on {@link #pairing}. */
    private void rope(float[] v, int heads, int pos, double theta) {
        int d = s.headDim();
        double[] inv = inverseFrequencies(theta);
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < d / 2; i++) {
                double angle = pos * inv[i];
                int a = pairing == RopePairing.HALF_SPLIT ? h * d + i : h * d + 2 * i;
                int b = pairing == RopePairing.HALF_SPLIT ? h * d + i + d / 2 : h * d + 2 * i + 1;
                double x1 = v[a];
                double x2 = v[b];
                v[a] = (float) (x1 * Math.cos(angle) - x2 * Math.sin(angle));
                v[b] = (float) (x2 * Math.cos(angle) + x1 * Math.sin(angle));
            }
        }
    }
}

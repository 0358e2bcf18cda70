package dev.memdec.converter.hf;

import java.util.Optional;
import java.util.function.Function;

/**
 * An independent plain-Java forward pass of HF's {@code Qwen2ForCausalLM} / {@code LlamaForCausalLM}
 * ({@code modeling_qwen2.py} / {@code modeling_llama.py}): RMSNorm, rotary embeddings with {@code rope_theta},
 * grouped-query attention with a causal mask, a SwiGLU MLP, optional q/k/v (and o) biases, tied or separate
 * lm_head. Weights are looked up by HF tensor name in HF layout ({@code nn.Linear} [out, in]).
 *
 * <p>{@link RopePairing#HALF_SPLIT} is HF's {@code rotate_half}; {@link RopePairing#ADJACENT} is ggml's "normal"
 * rope, which llama.cpp's {@code llama} architecture applies: run on the converter's permuted Q/K weights it must
 * give HF's logits, which checks the permutation's meaning and not just its bookkeeping.
 */
public final class RopeDecoderReference {

    public enum RopePairing { HALF_SPLIT, ADJACENT }

    /** Hyper-parameters as in config.json; {@code llama3Scaling} is null without {@code rope_scaling}. */
    public record Shape(int layers, int embd, int heads, int kvHeads, int headDim, int ff, int vocab, float rmsEps,
                        double ropeTheta, boolean tied, Llama3Scaling llama3Scaling) {

        public Shape withLlama3Scaling(Llama3Scaling scaling) {
            return new Shape(layers, embd, heads, kvHeads, headDim, ff, vocab, rmsEps, ropeTheta, tied, scaling);
        }
    }

    /** {@code rope_scaling: {"rope_type": "llama3", ...}} as HF's {@code _compute_llama3_parameters} reads it. */
    public record Llama3Scaling(double factor, double lowFreqFactor, double highFreqFactor, double originalMaxPositions) {
    }

    private final Shape s;
    private final Function<String, Optional<float[]>> weights;
    private final RopePairing pairing;

    public RopeDecoderReference(Shape shape, Function<String, Optional<float[]>> weights, RopePairing pairing) {
        this.s = shape;
        this.weights = weights;
        this.pairing = pairing;
    }

    public static Shape shapeOf(SyntheticHfCheckpoint c) {
        return new Shape(c.layers(), c.embd(), c.heads(), c.kvHeads(), c.headDim(), c.ff(), c.vocabSize(),
                c.architecture() == HfArchitecture.QWEN2 ? 1e-6f : 1e-5f,
                c.architecture() == HfArchitecture.QWEN2 ? 1_000_000.0 : 500_000.0, c.tiedEmbeddings(), null);
    }

    private float[] w(String name) {
        return weights.apply(name).orElseThrow(() -> new IllegalArgumentException("no weight " + name));
    }

    /** Logits for every position, [tokens][vocab]. */
    public float[][] logits(int[] tokens) {
        int n = tokens.length;
        int e = s.embd();
        int d = s.headDim();
        float[] embed = w("model.embed_tokens.weight");
        float[][] x = new float[n][];
        for (int t = 0; t < n; t++) {
            x[t] = new float[e];
            System.arraycopy(embed, tokens[t] * e, x[t], 0, e);
        }
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            float[][] q = new float[n][];
            float[][] k = new float[n][];
            float[][] v = new float[n][];
            for (int t = 0; t < n; t++) {
                float[] h = rmsNorm(x[t], w(p + "input_layernorm.weight"));
                q[t] = linear(h, w(p + "self_attn.q_proj.weight"), weights.apply(p + "self_attn.q_proj.bias"), s.heads() * d);
                k[t] = linear(h, w(p + "self_attn.k_proj.weight"), weights.apply(p + "self_attn.k_proj.bias"), s.kvHeads() * d);
                v[t] = linear(h, w(p + "self_attn.v_proj.weight"), weights.apply(p + "self_attn.v_proj.bias"), s.kvHeads() * d);
                rope(q[t], s.heads(), t);
                rope(k[t], s.kvHeads(), t);
            }
            int group = s.heads() / s.kvHeads();
            for (int t = 0; t < n; t++) {
                float[] attn = new float[s.heads() * d];
                for (int hq = 0; hq < s.heads(); hq++) {
                    int hk = hq / group;
                    double[] scores = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int u = 0; u <= t; u++) {
                        double dot = 0;
                        for (int i = 0; i < d; i++) {
                            dot += (double) q[t][hq * d + i] * k[u][hk * d + i];
                        }
                        scores[u] = dot / Math.sqrt(d);
                        max = Math.max(max, scores[u]);
                    }
                    double sum = 0;
                    for (int u = 0; u <= t; u++) {
                        scores[u] = Math.exp(scores[u] - max);
                        sum += scores[u];
                    }
                    for (int i = 0; i < d; i++) {
                        double acc = 0;
                        for (int u = 0; u <= t; u++) {
                            acc += scores[u] / sum * v[u][hk * d + i];
                        }
                        attn[hq * d + i] = (float) acc;
                    }
                }
                float[] o = linear(attn, w(p + "self_attn.o_proj.weight"), weights.apply(p + "self_attn.o_proj.bias"), e);
                for (int i = 0; i < e; i++) {
                    x[t][i] += o[i];
                }
                float[] h2 = rmsNorm(x[t], w(p + "post_attention_layernorm.weight"));
                float[] gate = linear(h2, w(p + "mlp.gate_proj.weight"), Optional.empty(), s.ff());
                float[] up = linear(h2, w(p + "mlp.up_proj.weight"), Optional.empty(), s.ff());
                for (int i = 0; i < s.ff(); i++) {
                    gate[i] = (float) (gate[i] / (1 + Math.exp(-gate[i])) * up[i]);
                }
                float[] down = linear(gate, w(p + "mlp.down_proj.weight"), Optional.empty(), e);
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
        return logits;
    }

    /** HF LlamaRMSNorm: x / sqrt(mean(x²) + eps) * weight. */
    private float[] rmsNorm(float[] x, float[] weight) {
        double ss = 0;
        for (float f : x) {
            ss += (double) f * f;
        }
        double scale = 1 / Math.sqrt(ss / x.length + s.rmsEps());
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) (x[i] * scale * weight[i]);
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
        int d = s.headDim();
        double[] inv = new double[d / 2];
        Llama3Scaling r = s.llama3Scaling();
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(s.ropeTheta(), 2.0 * i / d);
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
    private void rope(float[] v, int heads, int pos) {
        int d = s.headDim();
        double[] inv = inverseFrequencies();
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

package dev.memdec.converter.gpt2;

import dev.memdec.converter.gguf.GgufFile;

/**
 * A plain-Java GPT-2 forward pass written from the GPT-2 definition (Radford et al. 2019, HF
 * {@code GPT2LMHeadModel}): token + learned position embeddings, pre-LayerNorm blocks of causal multi-head
 * attention (scale 1/√head_dim) and a tanh-GELU MLP, a final LayerNorm and the output matrix (tied to the
 * token embedding in GPT-2). Activations are float like llama.cpp's; every dot product, LayerNorm statistic
 * and softmax accumulates in double.
 *
 * <p>It is the CPU reference that exported GGUFs, llama.cpp runs and trained models are compared against.
 * With {@code emulateLlamaCppCpu} the GELU follows llama.cpp's CPU backend (llama-abi §9): inputs in
 * (−10, 10) are rounded to f16 and the f16-rounded GELU of that value is used, inputs ≤ −10 give 0 and
 * inputs ≥ 10 pass through; that removes most of the ~2e-3 logit difference to llama.cpp when it runs
 * with an F32 KV cache.
 *
 * <p>Weights are held dequantized as float arrays (a GPT-2-small reference takes about 0.7 GB of heap).
 * Instances are immutable and thread-safe.
 */
public final class Gpt2ReferenceModel {

    private static final float SQRT_2_OVER_PI = 0.79788456080286535587989211986876f;
    private static final float GELU_COEF_A = 0.044715f;

    private record Layer(float[] ln1W, float[] ln1B, float[] qkvW, float[] qkvB, float[] projW, float[] projB,
                         float[] ln2W, float[] ln2B, float[] upW, float[] upB, float[] downW, float[] downB) {
    }

    /**
     * Per-position results of one forward pass.
     *
     * @param logits       one row of {@code vocab} logits per input position
     * @param lastFfnInput the LayerNorm output fed to the last block's MLP (the kNN-LM "last_ffn_input" key)
     */
    public record Forward(float[][] logits, float[][] lastFfnInput) {
    }

    private final Gpt2Config config;
    private final boolean emulateLlamaCppCpu;
    private final float[] tokenEmbd;
    private final float[] positionEmbd;
    private final float[] outputNormW;
    private final float[] outputNormB;
    private final float[] output;
    private final Layer[] layers;

    /** Loads every tensor of {@code weights} (shapes from {@code config}) into memory. */
    public Gpt2ReferenceModel(Gpt2Config config, Gpt2Weights weights, boolean emulateLlamaCppCpu) {
        this.config = config;
        this.emulateLlamaCppCpu = emulateLlamaCppCpu;
        long e = config.embd();
        long f = config.ff();
        this.tokenEmbd = weights.load(Gpt2Tensors.TOKEN_EMBD, e * config.vocab());
        this.positionEmbd = weights.load(Gpt2Tensors.POSITION_EMBD, e * config.ctx());
        this.outputNormW = weights.load(Gpt2Tensors.OUTPUT_NORM, e);
        this.outputNormB = weights.load(Gpt2Tensors.OUTPUT_NORM_BIAS, e);
        float[] out = weights.load(Gpt2Tensors.OUTPUT, e * config.vocab());
        // Tied head: share the embedding's array instead of holding a second copy.
        this.output = java.util.Arrays.equals(out, tokenEmbd) ? tokenEmbd : out;
        this.layers = new Layer[config.layers()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new Layer(
                    weights.load(Gpt2Tensors.blk(l, "attn_norm.weight"), e),
                    weights.load(Gpt2Tensors.blk(l, "attn_norm.bias"), e),
                    weights.load(Gpt2Tensors.blk(l, "attn_qkv.weight"), 3 * e * e),
                    weights.load(Gpt2Tensors.blk(l, "attn_qkv.bias"), 3 * e),
                    weights.load(Gpt2Tensors.blk(l, "attn_output.weight"), e * e),
                    weights.load(Gpt2Tensors.blk(l, "attn_output.bias"), e),
                    weights.load(Gpt2Tensors.blk(l, "ffn_norm.weight"), e),
                    weights.load(Gpt2Tensors.blk(l, "ffn_norm.bias"), e),
                    weights.load(Gpt2Tensors.blk(l, "ffn_up.weight"), f * e),
                    weights.load(Gpt2Tensors.blk(l, "ffn_up.bias"), f),
                    weights.load(Gpt2Tensors.blk(l, "ffn_down.weight"), e * f),
                    weights.load(Gpt2Tensors.blk(l, "ffn_down.bias"), e));
        }
    }

    /** The reference for a gpt2 GGUF; quantized tensors are dequantized exactly. */
    public static Gpt2ReferenceModel load(GgufFile file, boolean emulateLlamaCppCpu) {
        return new Gpt2ReferenceModel(Gpt2Config.fromGguf(file), new GgufGpt2Weights(file), emulateLlamaCppCpu);
    }

    public Gpt2Config config() {
        return config;
    }

    /** Logits for every position of {@code tokens} (one sequence starting at position 0). */
    public float[][] logits(int[] tokens) {
        return forward(tokens).logits();
    }

    /**
     * Runs the model on one sequence starting at position 0.
     *
     * @throws IllegalArgumentException for an empty sequence, one longer than ctx, or an id outside the vocabulary
     */
    public Forward forward(int[] tokens) {
        int n = tokens.length;
        int e = config.embd();
        if (n == 0 || n > config.ctx()) {
            throw new IllegalArgumentException("sequence of " + n + " tokens; expected 1.." + config.ctx() + " (ctx)");
        }
        float[][] x = new float[n][e];
        for (int t = 0; t < n; t++) {
            int id = tokens[t];
            if (id < 0 || id >= config.vocab()) {
                throw new IllegalArgumentException("token " + id + " at position " + t + " is outside the vocabulary [0, "
                        + config.vocab() + ")");
            }
            for (int i = 0; i < e; i++) {
                x[t][i] = tokenEmbd[id * e + i] + positionEmbd[t * e + i];
            }
        }
        float[][] lastFfnInput = null;
        for (Layer layer : layers) {
            float[][] attn = attention(layer, x);
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < e; i++) {
                    x[t][i] += attn[t][i];
                }
            }
            float[][] ffnIn = new float[n][];
            for (int t = 0; t < n; t++) {
                ffnIn[t] = layerNorm(x[t], layer.ln2W, layer.ln2B);
                float[] up = linear(layer.upW, layer.upB, ffnIn[t]);
                for (int i = 0; i < up.length; i++) {
                    up[i] = gelu(up[i]);
                }
                float[] down = linear(layer.downW, layer.downB, up);
                for (int i = 0; i < e; i++) {
                    x[t][i] += down[i];
                }
            }
            lastFfnInput = ffnIn;
        }
        float[][] logits = new float[n][];
        for (int t = 0; t < n; t++) {
            logits[t] = linear(output, null, layerNorm(x[t], outputNormW, outputNormB));
        }
        return new Forward(logits, lastFfnInput);
    }

    /** Causal multi-head self-attention of one block, including its output projection. */
    private float[][] attention(Layer layer, float[][] x) {
        int n = x.length;
        int e = config.embd();
        int hd = config.headDim();
        float[][] qkv = new float[n][];
        for (int t = 0; t < n; t++) {
            qkv[t] = linear(layer.qkvW, layer.qkvB, layerNorm(x[t], layer.ln1W, layer.ln1B));
        }
        double scale = 1.0 / Math.sqrt(hd);
        float[][] out = new float[n][];
        double[] p = new double[n];
        for (int t = 0; t < n; t++) {
            float[] merged = new float[e];
            for (int h = 0; h < config.heads(); h++) {
                int q = h * hd;
                int k = e + h * hd;
                int v = 2 * e + h * hd;
                double max = Double.NEGATIVE_INFINITY;
                for (int s = 0; s <= t; s++) {
                    double dot = 0;
                    for (int i = 0; i < hd; i++) {
                        dot += (double) qkv[t][q + i] * qkv[s][k + i];
                    }
                    p[s] = dot * scale;
                    max = Math.max(max, p[s]);
                }
                double sum = 0;
                for (int s = 0; s <= t; s++) {
                    p[s] = Math.exp(p[s] - max);
                    sum += p[s];
                }
                for (int i = 0; i < hd; i++) {
                    double acc = 0;
                    for (int s = 0; s <= t; s++) {
                        acc += p[s] * qkv[s][v + i];
                    }
                    merged[q + i] = (float) (acc / sum);
                }
            }
            out[t] = linear(layer.projW, layer.projB, merged);
        }
        return out;
    }

    /** y = W·x + b with W in [out, in] row-major (GGUF ne = {in, out}); {@code b} may be null. */
    private static float[] linear(float[] w, float[] b, float[] in) {
        int cols = in.length;
        int rows = w.length / cols;
        float[] y = new float[rows];
        for (int r = 0; r < rows; r++) {
            double acc = b == null ? 0 : b[r];
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                acc += (double) w[base + c] * in[c];
            }
            y[r] = (float) acc;
        }
        return y;
    }

    private float[] layerNorm(float[] x, float[] w, float[] b) {
        double mean = 0;
        for (float v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (float v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        double inv = 1.0 / Math.sqrt(var + config.eps());
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (float) ((x[i] - mean) * inv * w[i] + b[i]);
        }
        return y;
    }

    private float gelu(float x) {
        if (!emulateLlamaCppCpu) {
            double xd = x;
            return (float) (0.5 * xd * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (xd + 0.044715 * xd * xd * xd))));
        }
        if (x <= -10f) {
            return 0f;
        }
        if (x >= 10f) {
            return x;
        }
        return GeluF16Table.TABLE[Float.floatToFloat16(x) & 0xFFFF];
    }

    /** GELU evaluated in float at every f16 value and rounded to f16, as llama.cpp's CPU backend tabulates it. */
    private static final class GeluF16Table {
        static final float[] TABLE = new float[1 << 16];

        static {
            for (int i = 0; i < TABLE.length; i++) {
                float v = Float.float16ToFloat((short) i);
                float g = 0.5f * v * (1.0f + (float) Math.tanh(SQRT_2_OVER_PI * v * (1.0f + GELU_COEF_A * v * v)));
                TABLE[i] = Float.float16ToFloat(Float.floatToFloat16(g));
            }
        }
    }
}

package dev.memdec.converter.gpt2;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.quant.BFloat16;
import java.util.Arrays;
import java.util.function.Function;

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
 * inputs ≥ 10 pass through; and the activations multiplied with an F16/BF16 weight are rounded to that type,
 * those multiplied with a Q8_0/Q4_0 weight are quantized to Q8_0 blocks, as ggml's CPU matmul does.
 *
 * <p>Measured against llama.cpp b4916 on the CPU with an F32 KV cache (random weights, real GPT-2 vocab):
 * 2×64 models agree to 4e-5 (F32) and 6e-8 (Q8_0, Q4_0); GPT-2-small shapes agree to 7e-4 (F32, logits up to
 * 2.9). Rounding is discontinuous, so once the two sides' float summation order puts one value on the other
 * side of an f16 or Q8_0 step the results part by that step: in deep quantized models (6+ layers of 768)
 * that happens within a few positions and the difference grows to the size of the activation quantization
 * itself (about 0.02 to 0.04 on GPT-2-small logits). Compare perplexities, or logits of shallow models.
 *
 * <p>Weights are held dequantized as float arrays (a GPT-2-small reference takes about 0.7 GB of heap).
 * Instances are immutable and thread-safe.
 */
public final class Gpt2ReferenceModel {

    private static final float SQRT_2_OVER_PI = 0.79788456080286535587989211986876f;
    private static final float GELU_COEF_A = 0.044715f;

    /** How llama.cpp's CPU matmul rounds the activations it multiplies a weight of some type with (its vec_dot_type). */
    private enum ActivationRounding {
        EXACT, F16, BF16, Q8_0;

        static ActivationRounding forWeight(GgmlType type) {
            return switch (type) {
                case F16 -> F16;
                case BF16 -> BF16;
                case Q4_0, Q8_0 -> Q8_0;
                default -> EXACT;
            };
        }

        float[] apply(float[] x) {
            switch (this) {
                case EXACT:
                    return x;
                case F16: {
                    float[] y = new float[x.length];
                    for (int i = 0; i < x.length; i++) {
                        y[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
                    }
                    return y;
                }
                case BF16: {
                    float[] y = new float[x.length];
                    for (int i = 0; i < x.length; i++) {
                        y[i] = BFloat16.toFloat(BFloat16.fromFloat(x[i]));
                    }
                    return y;
                }
                default:
                    return quantizeQ8_0(x);
            }
        }

        /**
         * ggml's x86 SIMD quantize_row_q8_0 and back: per 32-block, d = amax/127 stored as f16, q = x·(127/amax)
         * rounded to nearest even; the dot product then sees f16(d)·q.
         */
        private static float[] quantizeQ8_0(float[] x) {
            float[] y = new float[x.length];
            for (int b = 0; b < x.length; b += 32) {
                float amax = 0;
                for (int i = b; i < b + 32; i++) {
                    amax = Math.max(amax, Math.abs(x[i]));
                }
                float d = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
                float id = amax != 0 ? 127f / amax : 0f;
                for (int i = b; i < b + 32; i++) {
                    y[i] = d * (float) Math.rint(x[i] * id);
                }
            }
            return y;
        }
    }

    /** y = W·x + b with W in [out, in] row-major (GGUF ne = {in, out}); {@code b} may be null. */
    private record Matrix(float[] w, float[] b, ActivationRounding rounding) {
        /**
         * Applies the matrix to every row of {@code xs}. Rows of W are the outer loop so each is read from
         * memory once per call and reused from cache for all inputs, not once per input.
         */
        float[][] apply(float[][] xs) {
            int n = xs.length;
            float[][] in = new float[n][];
            for (int t = 0; t < n; t++) {
                in[t] = rounding.apply(xs[t]);
            }
            int cols = in[0].length;
            int rows = w.length / cols;
            float[][] y = new float[n][rows];
            for (int r = 0; r < rows; r++) {
                int base = r * cols;
                for (int t = 0; t < n; t++) {
                    float[] x = in[t];
                    // four independent double accumulators: double precision without one long dependency chain
                    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    int c = 0;
                    for (; c + 3 < cols; c += 4) {
                        a0 += (double) w[base + c] * x[c];
                        a1 += (double) w[base + c + 1] * x[c + 1];
                        a2 += (double) w[base + c + 2] * x[c + 2];
                        a3 += (double) w[base + c + 3] * x[c + 3];
                    }
                    for (; c < cols; c++) {
                        a0 += (double) w[base + c] * x[c];
                    }
                    float acc = (float) ((a0 + a1) + (a2 + a3));
                    // llama.cpp adds the bias as a separate f32 op after the matmul result is stored as f32
                    y[t][r] = b == null ? acc : acc + b[r];
                }
            }
            return y;
        }
    }

    private record Layer(float[] ln1W, float[] ln1B, Matrix qkv, Matrix proj, float[] ln2W, float[] ln2B, Matrix up,
                         Matrix down) {
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
    private final Matrix output;
    private final Layer[] layers;

    /** Loads every tensor of {@code weights} (shapes from {@code config}) into memory. */
    public Gpt2ReferenceModel(Gpt2Config config, Gpt2Weights weights, boolean emulateLlamaCppCpu) {
        this(config, weights, emulateLlamaCppCpu, name -> GgmlType.F32);
    }

    private Gpt2ReferenceModel(Gpt2Config config, Gpt2Weights weights, boolean emulateLlamaCppCpu,
                               Function<String, GgmlType> storedAs) {
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
        this.output = new Matrix(Arrays.equals(out, tokenEmbd) ? tokenEmbd : out, null,
                rounding(storedAs, Gpt2Tensors.OUTPUT));
        this.layers = new Layer[config.layers()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new Layer(
                    weights.load(Gpt2Tensors.blk(l, "attn_norm.weight"), e),
                    weights.load(Gpt2Tensors.blk(l, "attn_norm.bias"), e),
                    matrix(weights, storedAs, Gpt2Tensors.blk(l, "attn_qkv"), 3 * e * e, 3 * e),
                    matrix(weights, storedAs, Gpt2Tensors.blk(l, "attn_output"), e * e, e),
                    weights.load(Gpt2Tensors.blk(l, "ffn_norm.weight"), e),
                    weights.load(Gpt2Tensors.blk(l, "ffn_norm.bias"), e),
                    matrix(weights, storedAs, Gpt2Tensors.blk(l, "ffn_up"), f * e, f),
                    matrix(weights, storedAs, Gpt2Tensors.blk(l, "ffn_down"), e * f, e));
        }
    }

    private Matrix matrix(Gpt2Weights weights, Function<String, GgmlType> storedAs, String prefix, long count, long rows) {
        return new Matrix(weights.load(prefix + ".weight", count), weights.load(prefix + ".bias", rows),
                rounding(storedAs, prefix + ".weight"));
    }

    private ActivationRounding rounding(Function<String, GgmlType> storedAs, String weightName) {
        return emulateLlamaCppCpu ? ActivationRounding.forWeight(storedAs.apply(weightName)) : ActivationRounding.EXACT;
    }

    /** The reference for a gpt2 GGUF; quantized tensors are dequantized exactly. */
    public static Gpt2ReferenceModel load(GgufFile file, boolean emulateLlamaCppCpu) {
        Function<String, GgmlType> storedAs = name -> file.tensor(name)
                .or(() -> file.tensor(Gpt2Tensors.TOKEN_EMBD)).orElseThrow().type();
        return new Gpt2ReferenceModel(Gpt2Config.fromGguf(file), new GgufGpt2Weights(file), emulateLlamaCppCpu,
                storedAs);
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
            }
            float[][] up = layer.up.apply(ffnIn);
            for (float[] row : up) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = gelu(row[i]);
                }
            }
            float[][] down = layer.down.apply(up);
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < e; i++) {
                    x[t][i] += down[t][i];
                }
            }
            lastFfnInput = ffnIn;
        }
        float[][] normed = new float[n][];
        for (int t = 0; t < n; t++) {
            normed[t] = layerNorm(x[t], outputNormW, outputNormB);
        }
        return new Forward(output.apply(normed), lastFfnInput);
    }

    /** Causal multi-head self-attention of one block, including its output projection. */
    private float[][] attention(Layer layer, float[][] x) {
        int n = x.length;
        int e = config.embd();
        int hd = config.headDim();
        float[][] normed = new float[n][];
        for (int t = 0; t < n; t++) {
            normed[t] = layerNorm(x[t], layer.ln1W, layer.ln1B);
        }
        float[][] qkv = layer.qkv.apply(normed);
        double scale = 1.0 / Math.sqrt(hd);
        float[][] merged = new float[n][e];
        double[] p = new double[n];
        for (int t = 0; t < n; t++) {
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
                    merged[t][q + i] = (float) (acc / sum);
                }
            }
        }
        return layer.proj.apply(merged);
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
        return llamaCppCpuGelu(x);
    }

    /**
     * GELU (tanh form) as llama.cpp's CPU backend computes it ({@code ggml_vec_gelu_f32}/{@code ggml_vec_geglu_f32}
     * with {@code GGML_GELU_FP16}, b4916 and v0.5.0 alike): 0 for x ≤ −10, x for x ≥ 10, else the f16-rounded GELU
     * of x rounded to f16.
     */
    public static float llamaCppCpuGelu(float x) {
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

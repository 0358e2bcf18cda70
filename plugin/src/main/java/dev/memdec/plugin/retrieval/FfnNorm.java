package dev.memdec.plugin.retrieval;

import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;

/**
 * The host's last-block pre-FFN norm, computed in Java exactly as ggml's CPU kernels do, so that a key can be
 * formed from {@code ffn_inp} captured for every row ({@link dev.memdec.natives.llama.LlamaContext#FFN_INP_ALL_ROWS})
 * while llama.cpp computes its last block and output head for the output row only.
 *
 * <p>gpt2 uses LayerNorm ({@code ggml_norm}: mean and variance accumulated in double, stored as float, then
 * {@code (x - mean) * (1/sqrtf(var + eps))}), followed by {@code * weight + bias} as two separate f32 ops; llama
 * and qwen2 use RMSNorm ({@code ggml_rms_norm}: mean of squares in double, {@code x * (1/sqrtf(ms + eps))}) and
 * {@code * weight}. Every step rounds as the C code does, so the result is bit-identical to the
 * {@code ffn_norm-<last>} node.
 */
public final class FfnNorm {

    private final boolean rms;
    private final float eps;
    private final float[] weight;
    private final float[] bias;

    private FfnNorm(boolean rms, float eps, float[] weight, float[] bias) {
        this.rms = rms;
        this.eps = eps;
        this.weight = weight;
        this.bias = bias;
    }

    /**
     * Reads the last block's FFN-norm weights and epsilon from a host GGUF.
     *
     * @throws IllegalArgumentException for an architecture other than gpt2, llama, qwen2, or a missing or
     *                                  mis-shaped norm tensor
     */
    public static FfnNorm ofLastBlock(GgufFile gguf) {
        String arch = gguf.architecture();
        boolean rms = switch (arch) {
            case "gpt2" -> false;
            case "llama", "qwen2" -> true;
            default -> throw new IllegalArgumentException(gguf.name() + ": architecture '" + arch
                    + "' has no known pre-FFN norm; expected gpt2, llama or qwen2");
        };
        long layers = gguf.getUInt32(arch + ".block_count");
        long width = gguf.getUInt32(arch + ".embedding_length");
        float eps = gguf.getFloat32(arch + (rms ? ".attention.layer_norm_rms_epsilon" : ".attention.layer_norm_epsilon"));
        String prefix = "blk." + (layers - 1) + ".ffn_norm.";
        float[] weight = vector(gguf, prefix + "weight", width);
        float[] bias = rms ? null : vector(gguf, prefix + "bias", width);
        return new FfnNorm(rms, eps, weight, bias);
    }

    private static float[] vector(GgufFile gguf, String name, long width) {
        GgufTensorInfo t = gguf.tensor(name).orElseThrow(() -> new IllegalArgumentException(gguf.name()
                + ": tensor '" + name + "' is missing"));
        if (t.elementCount() != width) {
            throw new IllegalArgumentException(gguf.name() + ": tensor '" + name + "' has " + t.elementCount()
                    + " elements, expected embedding_length " + width);
        }
        return gguf.readFloats(t);
    }

    /** Elements per row ({@code n_embd}). */
    public int width() {
        return weight.length;
    }

    /** Normalizes the row {@code in[inAt, inAt + width)} into {@code out[outAt, outAt + width)}. */
    public void apply(float[] in, int inAt, float[] out, int outAt) {
        int n = weight.length;
        float scale;
        if (rms) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                float x = in[inAt + i];
                sum += x * x;
            }
            float mean = (float) (sum / n);
            scale = 1.0f / (float) Math.sqrt(mean + eps);
            for (int i = 0; i < n; i++) {
                out[outAt + i] = in[inAt + i] * scale;
            }
        } else {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += in[inAt + i];
            }
            float mean = (float) (sum / n);
            double sum2 = 0;
            for (int i = 0; i < n; i++) {
                float v = in[inAt + i] - mean;
                out[outAt + i] = v;
                sum2 += v * v;
            }
            float variance = (float) (sum2 / n);
            scale = 1.0f / (float) Math.sqrt(variance + eps);
            for (int i = 0; i < n; i++) {
                out[outAt + i] *= scale;
            }
        }
        for (int i = 0; i < n; i++) {
            out[outAt + i] *= weight[i];
        }
        if (bias != null) {
            for (int i = 0; i < n; i++) {
                out[outAt + i] += bias[i];
            }
        }
    }
}

package dev.memdec.converter.quant;

import dev.memdec.converter.gguf.GgmlType;

/**
 * Which ggml type each tensor gets when a model is written or re-quantized to a target type, following
 * convert_hf_to_gguf and llama-quantize (gguf-spec §5.6):
 * <ul>
 *   <li>F32 for tensors with at most one real dimension, norms ({@code _norm.weight}), everything that is
 *       not a {@code .weight} (biases), {@code position_embd}, {@code token_types} and {@code ffn_gate_inp}:
 *       they are small and precision-critical;</li>
 *   <li>F16 instead of a block type when the row length {@code ne[0]} is not a multiple of 32, because
 *       llama.cpp rejects such a file at load time;</li>
 *   <li>for a Q4_0 target, {@code output.weight} (or {@code token_embd.weight} when it doubles as the
 *       output) in Q8_0: llama-quantize gives it Q6_K, which this project cannot encode, and Q4_0 there
 *       costs the most quality;</li>
 *   <li>the target type for every other tensor.</li>
 * </ul>
 */
public final class QuantizationPolicy {

    private QuantizationPolicy() {
    }

    /**
     * The type to store tensor {@code name} with dimensions {@code ne} in, for a model whose big tensors
     * are {@code target}.
     *
     * @param hasOutputTensor whether the model has an {@code output.weight}; if not, {@code token_embd}
     *     is the output projection too
     */
    public static GgmlType choose(String name, long[] ne, GgmlType target, boolean hasOutputTensor) {
        if (!target.canEncode()) {
            throw new IllegalArgumentException("cannot quantize to " + target + " (supported: F32, F16, BF16, Q8_0, Q4_0)");
        }
        if (keepsF32(name, ne)) {
            return GgmlType.F32;
        }
        GgmlType type = target;
        boolean isOutput = name.equals("output.weight") || (!hasOutputTensor && name.equals("token_embd.weight"));
        if (target == GgmlType.Q4_0 && isOutput) {
            type = GgmlType.Q8_0;
        }
        if (type.isBlockQuantized() && ne[0] % type.blockSize() != 0) {
            type = GgmlType.F16;
        }
        return type;
    }

    /** True for the tensors that stay F32 whatever the target. */
    public static boolean keepsF32(String name, long[] ne) {
        return effectiveDims(ne) <= 1
                || !name.endsWith(".weight")
                || name.endsWith("_norm.weight")
                || name.startsWith("position_embd.")
                || name.startsWith("token_types.")
                || name.contains("ffn_gate_inp.");
    }

    /** Dimensions not counting trailing ones, as ggml_n_dims counts them (at least 1). */
    private static int effectiveDims(long[] ne) {
        int n = ne.length;
        while (n > 1 && ne[n - 1] == 1) {
            n--;
        }
        return Math.max(n, 1);
    }
}

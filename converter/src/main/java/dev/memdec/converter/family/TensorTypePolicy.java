package dev.memdec.converter.family;

import dev.memdec.converter.gguf.GgmlType;

/**
 * Which ggml type each tensor is stored as for a requested output type (gguf-spec §5.6): 1-D tensors, norms,
 * biases and {@code position_embd} stay F32 like convert_hf_to_gguf; a row length the block size does not
 * divide falls back to F16 (llama.cpp rejects such a quantized tensor); and for Q4_0 the embedding and output
 * matrices are kept at Q8_0, which is what llama-quantize also protects.
 */
public final class TensorTypePolicy {

    private TensorTypePolicy() {
    }

    public static GgmlType storeAs(String name, long[] ne, GgmlType requested) {
        if (ne.length <= 1 || name.endsWith("_norm.weight") || !name.endsWith(".weight") || name.equals("position_embd.weight")) {
            return GgmlType.F32;
        }
        GgmlType type = requested == GgmlType.Q4_0 && (name.equals("token_embd.weight") || name.equals("output.weight"))
                ? GgmlType.Q8_0 : requested;
        return ne[0] % type.blockSize() == 0 ? type : GgmlType.F16;
    }
}

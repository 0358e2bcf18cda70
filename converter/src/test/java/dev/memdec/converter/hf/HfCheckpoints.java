package dev.memdec.converter.hf;

import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.safetensors.SafetensorsCheckpoint;
import dev.memdec.converter.safetensors.SafetensorsTensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Test helpers that read both sides of a conversion into HF-named float arrays: the checkpoint as written and
 * the GGUF with the documented transforms undone (GGUF → HF names, llama Q/K rows un-permuted, the GPT-2
 * Conv1D transpose reversed), implemented here independently of the converter.
 */
public final class HfCheckpoints {

    private HfCheckpoints() {
    }

    /** Every tensor of the HF checkpoint in {@code dir}, widened to float. */
    public static Map<String, float[]> hfTensors(Path dir) throws IOException {
        Map<String, float[]> out = new HashMap<>();
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            for (SafetensorsTensor t : c.tensors().values()) {
                out.put(t.name(), t.toFloatArray());
            }
        }
        return out;
    }

    /** The GGUF name of an HF qwen2/llama tensor, or null for tensors with no GGUF counterpart. */
    public static String ggufNameOf(String hf) {
        if (hf.equals("model.embed_tokens.weight")) {
            return "token_embd.weight";
        }
        if (hf.equals("model.norm.weight")) {
            return "output_norm.weight";
        }
        if (hf.equals("lm_head.weight")) {
            return "output.weight";
        }
        String[] parts = hf.split("\\.", 4); // model, layers, i, rest
        String rest = parts[3];
        String gguf = switch (rest.substring(0, rest.lastIndexOf('.'))) {
            case "input_layernorm" -> "attn_norm";
            case "post_attention_layernorm" -> "ffn_norm";
            case "self_attn.q_proj" -> "attn_q";
            case "self_attn.k_proj" -> "attn_k";
            case "self_attn.v_proj" -> "attn_v";
            case "self_attn.o_proj" -> "attn_output";
            case "mlp.gate_proj" -> "ffn_gate";
            case "mlp.up_proj" -> "ffn_up";
            case "mlp.down_proj" -> "ffn_down";
            default -> throw new IllegalArgumentException(hf);
        };
        return "blk." + parts[2] + "." + gguf + rest.substring(rest.lastIndexOf('.'));
    }

    /**
     * The GGUF's qwen2/llama tensors under their HF names; with {@code unpermute} llama's Q/K rows are put back
     * in HF's half-split order (old row j = new row 2j, old row j + d/2 = new row 2j + 1 within each head).
     */
    public static Map<String, float[]> ggufAsHf(GgufFile f, Iterable<String> hfNames, int heads, int kvHeads, int headDim,
                                                boolean unpermute) {
        Map<String, float[]> out = new HashMap<>();
        for (String hf : hfNames) {
            GgufTensorInfo info = f.tensor(ggufNameOf(hf)).orElse(null);
            if (info == null) {
                continue;
            }
            float[] v = f.readFloats(info);
            boolean q = hf.contains("q_proj");
            boolean k = hf.contains("k_proj");
            if (unpermute && (q || k)) {
                v = unpermute(v, q ? heads : kvHeads, headDim);
            }
            out.put(hf, v);
        }
        return out;
    }

    static float[] unpermute(float[] permuted, int heads, int headDim) {
        int cols = permuted.length / (heads * headDim);
        float[] out = new float[permuted.length];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < headDim / 2; j++) {
                int base = h * headDim;
                System.arraycopy(permuted, (base + 2 * j) * cols, out, (base + j) * cols, cols);
                System.arraycopy(permuted, (base + 2 * j + 1) * cols, out, (base + j + headDim / 2) * cols, cols);
            }
        }
        return out;
    }

    /** A Conv1D [in, out] matrix as the [out, in] matrix, or back (transposes a rows×cols row-major matrix). */
    public static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }
}

package dev.memdec.trainer.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Names and shapes of a GPT-2 model's trainable tensors, in the spelling of llama.cpp's gpt2 GGUF tensors.
 * Shapes are PyTorch row-major (a Linear weight is [out, in]), which is the GGUF {@code ne} order reversed, so
 * a tensor's elements are laid out identically in both. The output head is tied to {@code token_embd.weight}
 * and so has no tensor of its own here (the exporter writes the copy llama.cpp wants).
 */
public final class TensorLayout {

    public static final String TOKEN_EMBD = "token_embd.weight";
    public static final String POSITION_EMBD = "position_embd.weight";
    public static final String OUTPUT_NORM = "output_norm";

    private TensorLayout() {
    }

    /** Name of tensor {@code suffix} (e.g. {@code attn_qkv.weight}) in block {@code layer}. */
    public static String block(int layer, String suffix) {
        return "blk." + layer + "." + suffix;
    }

    /** Every trainable tensor with its PyTorch shape, in a fixed order (also the checkpoint order). */
    public static Map<String, long[]> shapes(ModelShape s) {
        long e = s.embd();
        long f = s.ff();
        Map<String, long[]> out = new LinkedHashMap<>();
        out.put(TOKEN_EMBD, new long[] {s.vocab(), e});
        out.put(POSITION_EMBD, new long[] {s.ctx(), e});
        for (int l = 0; l < s.layers(); l++) {
            out.put(block(l, "attn_norm.weight"), new long[] {e});
            out.put(block(l, "attn_norm.bias"), new long[] {e});
            out.put(block(l, "attn_qkv.weight"), new long[] {3 * e, e});
            out.put(block(l, "attn_qkv.bias"), new long[] {3 * e});
            out.put(block(l, "attn_output.weight"), new long[] {e, e});
            out.put(block(l, "attn_output.bias"), new long[] {e});
            out.put(block(l, "ffn_norm.weight"), new long[] {e});
            out.put(block(l, "ffn_norm.bias"), new long[] {e});
            out.put(block(l, "ffn_up.weight"), new long[] {f, e});
            out.put(block(l, "ffn_up.bias"), new long[] {f});
            out.put(block(l, "ffn_down.weight"), new long[] {e, f});
            out.put(block(l, "ffn_down.bias"), new long[] {e});
        }
        out.put(OUTPUT_NORM + ".weight", new long[] {e});
        out.put(OUTPUT_NORM + ".bias", new long[] {e});
        return out;
    }

    /** The GGUF {@code ne} of a tensor with PyTorch shape {@code shape}: the dimensions reversed. */
    public static long[] ggufNe(long[] shape) {
        long[] ne = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            ne[i] = shape[shape.length - 1 - i];
        }
        return ne;
    }

    /** Names of all trainable tensors in checkpoint order. */
    public static List<String> names(ModelShape s) {
        return new ArrayList<>(shapes(s).keySet());
    }

    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}

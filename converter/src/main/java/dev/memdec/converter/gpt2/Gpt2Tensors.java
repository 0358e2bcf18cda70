package dev.memdec.converter.gpt2;

import java.util.ArrayList;
import java.util.List;

/** The tensors llama.cpp's {@code gpt2} architecture loads (gguf-spec §2.2), with their ggml shapes. */
public final class Gpt2Tensors {

    public static final String TOKEN_EMBD = "token_embd.weight";
    public static final String POSITION_EMBD = "position_embd.weight";
    public static final String OUTPUT_NORM = "output_norm.weight";
    public static final String OUTPUT_NORM_BIAS = "output_norm.bias";
    public static final String OUTPUT = "output.weight";

    /** One tensor: its GGUF name and {@code ne} (innermost first). */
    public record Spec(String name, long[] ne) {
        public long elementCount() {
            long n = 1;
            for (long d : ne) {
                n *= d;
            }
            return n;
        }

        /** True for the matrices that take the requested storage type; the rest stay F32 (gguf-spec §2.4). */
        public boolean isQuantizable() {
            return ne.length == 2 && !name.equals(POSITION_EMBD);
        }
    }

    private Gpt2Tensors() {
    }

    /** {@code blk.<layer>.<suffix>}, e.g. {@code blk(3, "attn_qkv.weight")}. */
    public static String blk(int layer, String suffix) {
        return "blk." + layer + "." + suffix;
    }

    /** Every tensor of a gpt2 GGUF in writing order: 5 + 12·layers of them, including the tied {@code output.weight}. */
    public static List<Spec> of(Gpt2Config c) {
        long e = c.embd();
        long f = c.ff();
        List<Spec> specs = new ArrayList<>(5 + 12 * c.layers());
        specs.add(new Spec(TOKEN_EMBD, new long[] {e, c.vocab()}));
        specs.add(new Spec(POSITION_EMBD, new long[] {e, c.ctx()}));
        for (int l = 0; l < c.layers(); l++) {
            specs.add(new Spec(blk(l, "attn_norm.weight"), new long[] {e}));
            specs.add(new Spec(blk(l, "attn_norm.bias"), new long[] {e}));
            specs.add(new Spec(blk(l, "attn_qkv.weight"), new long[] {e, 3 * e}));
            specs.add(new Spec(blk(l, "attn_qkv.bias"), new long[] {3 * e}));
            specs.add(new Spec(blk(l, "attn_output.weight"), new long[] {e, e}));
            specs.add(new Spec(blk(l, "attn_output.bias"), new long[] {e}));
            specs.add(new Spec(blk(l, "ffn_norm.weight"), new long[] {e}));
            specs.add(new Spec(blk(l, "ffn_norm.bias"), new long[] {e}));
            specs.add(new Spec(blk(l, "ffn_up.weight"), new long[] {e, f}));
            specs.add(new Spec(blk(l, "ffn_up.bias"), new long[] {f}));
            specs.add(new Spec(blk(l, "ffn_down.weight"), new long[] {f, e}));
            specs.add(new Spec(blk(l, "ffn_down.bias"), new long[] {e}));
        }
        specs.add(new Spec(OUTPUT_NORM, new long[] {e}));
        specs.add(new Spec(OUTPUT_NORM_BIAS, new long[] {e}));
        specs.add(new Spec(OUTPUT, new long[] {e, c.vocab()}));
        return specs;
    }
}

package dev.memdec.converter.mlp;

import java.util.ArrayList;
import java.util.List;

/**
 * The tensors of an MLP memory GGUF, in file order, with their shapes ({@code ne[0]} = input features, as
 * llama.cpp stores an {@code nn.Linear} weight). 1-D tensors are always F32; matrices take the file's type.
 */
public final class MlpMemoryTensors {

    public static final String INPUT = "input.weight";
    public static final String INPUT_BIAS = "input.bias";
    public static final String OUTPUT_NORM = "output_norm.weight";
    public static final String OUTPUT_NORM_BIAS = "output_norm.bias";
    public static final String OUTPUT = "output.weight";

    /** One tensor: its GGUF name and shape. */
    public record Spec(String name, long[] ne) {
        public boolean isMatrix() {
            return ne.length == 2;
        }

        public long elementCount() {
            long n = 1;
            for (long d : ne) {
                n *= d;
            }
            return n;
        }
    }

    private MlpMemoryTensors() {
    }

    public static String norm(int block) {
        return "blk." + block + ".ffn_norm.weight";
    }

    public static String normBias(int block) {
        return "blk." + block + ".ffn_norm.bias";
    }

    public static String up(int block) {
        return "blk." + block + ".ffn_up.weight";
    }

    public static String upBias(int block) {
        return "blk." + block + ".ffn_up.bias";
    }

    public static String gate(int block) {
        return "blk." + block + ".ffn_gate.weight";
    }

    public static String down(int block) {
        return "blk." + block + ".ffn_down.weight";
    }

    public static String downBias(int block) {
        return "blk." + block + ".ffn_down.bias";
    }

    /** Every tensor of {@code c}, in the order the exporter writes them. */
    public static List<Spec> of(MlpMemoryConfig c) {
        boolean gpt2 = c.flavour() == MlpMemoryConfig.Flavour.GPT2;
        long w = c.width();
        long ff = c.ff();
        List<Spec> specs = new ArrayList<>();
        if (c.projects()) {
            specs.add(new Spec(INPUT, new long[] {c.inputWidth(), w}));
            if (gpt2) {
                specs.add(new Spec(INPUT_BIAS, new long[] {w}));
            }
        }
        for (int b = 0; b < c.blocks(); b++) {
            specs.add(new Spec(norm(b), new long[] {w}));
            if (gpt2) {
                specs.add(new Spec(normBias(b), new long[] {w}));
                specs.add(new Spec(up(b), new long[] {w, ff}));
                specs.add(new Spec(upBias(b), new long[] {ff}));
                specs.add(new Spec(down(b), new long[] {ff, w}));
                specs.add(new Spec(downBias(b), new long[] {w}));
            } else {
                specs.add(new Spec(gate(b), new long[] {w, ff}));
                specs.add(new Spec(up(b), new long[] {w, ff}));
                specs.add(new Spec(down(b), new long[] {ff, w}));
            }
        }
        specs.add(new Spec(OUTPUT_NORM, new long[] {w}));
        if (gpt2) {
            specs.add(new Spec(OUTPUT_NORM_BIAS, new long[] {w}));
        }
        specs.add(new Spec(OUTPUT, new long[] {w, c.vocab()}));
        return specs;
    }
}

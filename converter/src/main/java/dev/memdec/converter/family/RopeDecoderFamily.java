package dev.memdec.converter.family;

import java.util.ArrayList;
import java.util.List;

/**
 * What the families here share: a name, a rotary style, and a file made of the embedding, the output head and one
 * block per layer; each family says what its block holds ({@link #addBlock}) and what it refuses ({@link #check}).
 */
public abstract class RopeDecoderFamily implements DecoderFamily {

    private final String architecture;
    private final RopeStyle ropeStyle;

    protected RopeDecoderFamily(String architecture, RopeStyle ropeStyle) {
        this.architecture = architecture;
        this.ropeStyle = ropeStyle;
    }

    @Override
    public final String architecture() {
        return architecture;
    }

    @Override
    public final RopeStyle ropeStyle() {
        return ropeStyle;
    }

    /** Nothing beyond {@link RopeDecoderConfig}'s own rules unless a family overrides it. */
    @Override
    public void check(RopeDecoderConfig c) {
    }

    @Override
    public final List<TensorSpec> tensors(RopeDecoderConfig c) {
        List<TensorSpec> out = new ArrayList<>();
        DecoderTensors.embeddingAndHead(c, out);
        for (int i = 0; i < c.layers(); i++) {
            addBlock(c, i, out);
        }
        return out;
    }

    /** Appends the tensors of block {@code layer}. */
    protected abstract void addBlock(RopeDecoderConfig c, int layer, List<TensorSpec> out);
}

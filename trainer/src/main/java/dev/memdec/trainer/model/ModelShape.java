package dev.memdec.trainer.model;

/**
 * The hyper-parameters of a GPT-2-architecture causal LM: {@code layers} pre-LN blocks of width {@code embd}
 * with {@code heads} attention heads, {@code ctx} learned positions and a {@code vocab}-row tied embedding.
 * The feed-forward width is 4·embd and LayerNorm ε is 1e-5, as in GPT-2.
 */
public record ModelShape(int layers, int embd, int heads, int ctx, int vocab) {

    /** GPT-2's LayerNorm epsilon. */
    public static final float LAYER_NORM_EPS = 1e-5f;

    public ModelShape {
        if (layers < 1 || embd < 1 || heads < 1 || ctx < 1 || vocab < 2) {
            throw new IllegalArgumentException("model shape: layers, embd, heads, ctx must be >= 1 and vocab >= 2, got "
                    + layers + "x" + embd + "x" + heads + " ctx " + ctx + " vocab " + vocab);
        }
        if (embd % heads != 0) {
            throw new IllegalArgumentException("model shape: embd " + embd + " is not a multiple of heads " + heads);
        }
    }

    /**
     * Parses {@code LxDxH} (layers x embd x heads), as given to {@code --shape}.
     *
     * @throws IllegalArgumentException naming {@code flag} when the text is not three positive integers
     */
    public static ModelShape parse(String flag, String text, int ctx, int vocab) {
        String[] parts = text.trim().toLowerCase(java.util.Locale.ROOT).split("x");
        if (parts.length != 3) {
            throw new IllegalArgumentException(flag + ": expected LAYERSxEMBDxHEADS such as 4x256x4, got '" + text + "'");
        }
        int[] v = new int[3];
        for (int i = 0; i < 3; i++) {
            try {
                v[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + ": '" + parts[i] + "' in '" + text + "' is not an integer", e);
            }
        }
        return new ModelShape(v[0], v[1], v[2], ctx, vocab);
    }

    public int ff() {
        return 4 * embd;
    }

    public int headDim() {
        return embd / heads;
    }

    /** The {@code LxDxH} spelling accepted by {@link #parse}. */
    public String spec() {
        return layers + "x" + embd + "x" + heads;
    }
}

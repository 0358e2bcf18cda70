package dev.memdec.converter.family;

/**
 * The shape of a pre-RMSNorm rotary decoder, the hyper-parameters every family in this package shares (llama,
 * qwen2, qwen3, gemma3, phi3). What a family adds or forbids it checks in {@link DecoderFamily#check}.
 *
 * @param layers        blocks ({@code <arch>.block_count})
 * @param embd          model width ({@code <arch>.embedding_length})
 * @param heads         query heads ({@code <arch>.attention.head_count})
 * @param kvHeads       key/value heads, dividing {@code heads} ({@code <arch>.attention.head_count_kv})
 * @param headDim       width of one head, even (rotary pairs); written as {@code key_length}/{@code value_length}
 *                      when {@code heads * headDim != embd}
 * @param ff            feed-forward width ({@code <arch>.feed_forward_length})
 * @param vocab         rows of {@code token_embd}; equals the tokenizer's token count
 * @param ctx           training context ({@code <arch>.context_length})
 * @param rmsEps        {@code <arch>.attention.layer_norm_rms_epsilon}
 * @param ropeTheta     {@code <arch>.rope.freq_base}
 * @param tiedOutput    true: no {@code output.weight}, llama.cpp reuses {@code token_embd}
 * @param slidingWindow {@code <arch>.attention.sliding_window} for families with local attention layers, else 0
 */
public record RopeDecoderConfig(int layers, int embd, int heads, int kvHeads, int headDim, int ff, int vocab, int ctx,
                                float rmsEps, float ropeTheta, boolean tiedOutput, int slidingWindow) {

    public static final float DEFAULT_RMS_EPS = 1e-6f;
    public static final float DEFAULT_ROPE_THETA = 10_000f;

    /**
     * @throws IllegalArgumentException naming the field: a non-positive size, {@code kvHeads} not dividing
     *                                  {@code heads}, or an odd {@code headDim}
     */
    public RopeDecoderConfig {
        positive("layers", layers);
        positive("embd", embd);
        positive("heads", heads);
        positive("kv_heads", kvHeads);
        positive("head_dim", headDim);
        positive("ff", ff);
        positive("vocab", vocab);
        positive("ctx", ctx);
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("kv_heads " + kvHeads + " does not divide heads " + heads
                    + " (grouped-query attention shares each key/value head among a whole number of query heads)");
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim " + headDim + " is odd; rotary embeddings rotate pairs of dimensions");
        }
        if (!(rmsEps > 0) || !Float.isFinite(rmsEps)) {
            throw new IllegalArgumentException("rms_eps " + rmsEps + " must be a positive finite number");
        }
        if (!(ropeTheta > 0) || !Float.isFinite(ropeTheta)) {
            throw new IllegalArgumentException("rope_theta " + ropeTheta + " must be a positive finite number");
        }
        if (slidingWindow < 0) {
            throw new IllegalArgumentException("sliding_window " + slidingWindow + " must be >= 0");
        }
    }

    /**
     * The usual shape: {@code headDim = embd / heads}, default epsilon and theta, untied output, no sliding window.
     *
     * @throws IllegalArgumentException if {@code heads} does not divide {@code embd}, or as the constructor
     */
    public static RopeDecoderConfig of(int layers, int embd, int heads, int kvHeads, int ff, int vocab, int ctx) {
        positive("heads", heads);
        if (embd % heads != 0) {
            throw new IllegalArgumentException("heads " + heads + " does not divide embd " + embd);
        }
        return new RopeDecoderConfig(layers, embd, heads, kvHeads, embd / heads, ff, vocab, ctx,
                DEFAULT_RMS_EPS, DEFAULT_ROPE_THETA, false, 0);
    }

    public RopeDecoderConfig withTiedOutput(boolean tied) {
        return new RopeDecoderConfig(layers, embd, heads, kvHeads, headDim, ff, vocab, ctx, rmsEps, ropeTheta, tied, slidingWindow);
    }

    /** This shape with {@code vocab} rows of token embedding and output head. */
    public RopeDecoderConfig withVocab(int vocab) {
        return new RopeDecoderConfig(layers, embd, heads, kvHeads, headDim, ff, vocab, ctx, rmsEps, ropeTheta, tiedOutput, slidingWindow);
    }

    public RopeDecoderConfig withSlidingWindow(int window) {
        return new RopeDecoderConfig(layers, embd, heads, kvHeads, headDim, ff, vocab, ctx, rmsEps, ropeTheta, tiedOutput, window);
    }

    /** Rows of the query projection: {@code heads * headDim}. */
    public long qRows() {
        return (long) heads * headDim;
    }

    /** Rows of each of the key and value projections: {@code kvHeads * headDim}. */
    public long kvRows() {
        return (long) kvHeads * headDim;
    }

    private static void positive(String field, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(field + " must be positive, got " + value);
        }
    }
}

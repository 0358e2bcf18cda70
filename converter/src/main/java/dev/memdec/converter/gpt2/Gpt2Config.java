package dev.memdec.converter.gpt2;

import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;

/**
 * GPT-2 hyper-parameters, named as llama.cpp's {@code gpt2.*} keys (gguf-spec §2.1).
 *
 * @param layers {@code gpt2.block_count}
 * @param embd   {@code gpt2.embedding_length}
 * @param heads  {@code gpt2.attention.head_count}; must divide {@code embd}
 * @param ctx    {@code gpt2.context_length}, the rows of {@code position_embd}
 * @param vocab  rows of {@code token_embd}; equals the tokenizer's size
 * @param ff     {@code gpt2.feed_forward_length}, 4·embd for GPT-2
 * @param eps    {@code gpt2.attention.layer_norm_epsilon}
 */
public record Gpt2Config(int layers, int embd, int heads, int ctx, int vocab, int ff, float eps) {

    public static final float GPT2_EPS = 1e-5f;

    public Gpt2Config {
        positive("layers", layers);
        positive("embd", embd);
        positive("heads", heads);
        positive("ctx", ctx);
        positive("vocab", vocab);
        positive("ff", ff);
        if (embd % heads != 0) {
            throw new IllegalArgumentException("gpt2 config: embd " + embd + " is not divisible by heads " + heads
                    + " (head_dim = embd / heads must be an integer)");
        }
        if (!(eps > 0) || !Float.isFinite(eps)) {
            throw new IllegalArgumentException("gpt2 config: eps must be a positive finite number, got " + eps);
        }
    }

    private static void positive(String field, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("gpt2 config: " + field + " must be positive, got " + v);
        }
    }

    /** A GPT-2 shape with ff = 4·embd and eps = 1e-5, as every GPT-2 release uses. */
    public static Gpt2Config of(int layers, int embd, int heads, int ctx, int vocab) {
        return new Gpt2Config(layers, embd, heads, ctx, vocab, 4 * embd, GPT2_EPS);
    }

    /** GPT-2 small (124M): 12 layers, 768 embd, 12 heads, 1024 ctx, 50257 vocab. */
    public static Gpt2Config small() {
        return of(12, 768, 12, 1024, 50257);
    }

    /** GPT-2 medium (355M): 24 layers, 1024 embd, 16 heads, 1024 ctx, 50257 vocab. */
    public static Gpt2Config medium() {
        return of(24, 1024, 16, 1024, 50257);
    }

    /**
     * The config of a gpt2 GGUF: hyper-parameters from the {@code gpt2.*} keys, vocab from the rows of
     * {@code token_embd.weight}.
     *
     * @throws IllegalArgumentException if the file is not gpt2 or lacks a required key or tensor
     */
    public static Gpt2Config fromGguf(GgufFile f) {
        if (!"gpt2".equals(f.architecture())) {
            throw new IllegalArgumentException(f.name() + ": general.architecture is '" + f.architecture() + "', expected 'gpt2'");
        }
        GgufTensorInfo embd = f.tensor(Gpt2Tensors.TOKEN_EMBD).orElseThrow(() -> new IllegalArgumentException(
                f.name() + ": no tensor '" + Gpt2Tensors.TOKEN_EMBD + "'"));
        return new Gpt2Config(uint("block_count", f), uint("embedding_length", f), uint("attention.head_count", f),
                uint("context_length", f), Math.toIntExact(embd.ne()[1]), uint("feed_forward_length", f),
                f.getFloat32("gpt2.attention.layer_norm_epsilon"));
    }

    private static int uint(String key, GgufFile f) {
        long v = f.getUInt32("gpt2." + key);
        if (v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(f.name() + ": gpt2." + key + " = " + v + " is too large");
        }
        return (int) v;
    }

    public int headDim() {
        return embd / heads;
    }

    /**
     * Parameters counted once (the tied output matrix is not counted twice).
     *
     * @throws ArithmeticException when the count does not fit 64 bits (a shape read from a corrupt file)
     */
    public long parameterCount() {
        long e = embd;
        // per layer: 2 LayerNorms (2e each), QKV (3e² + 3e), attention out (e² + e), MLP up (ff·e + ff), down (ff·e + e)
        long perLayer = Math.addExact(Math.multiplyExact(4, Math.multiplyExact(e, e)),
                Math.multiplyExact(2L * ff, e) + 9 * e + ff);
        return Math.addExact(Math.addExact(Math.multiplyExact(vocab, e), Math.multiplyExact(ctx, e)),
                Math.multiplyExact(layers, perLayer) + 2 * e);
    }
}

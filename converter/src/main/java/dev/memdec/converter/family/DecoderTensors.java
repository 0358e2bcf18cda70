package dev.memdec.converter.family;

import static dev.memdec.converter.family.TensorSpec.blk;
import static dev.memdec.converter.family.TensorSpec.matrix;
import static dev.memdec.converter.family.TensorSpec.vector;

import java.util.List;

/**
 * The tensors most rotary decoders share in llama.cpp's naming ({@code src/llama-arch.cpp}), so each family lists only
 * what sets it apart. Shapes are ggml {@code ne}: {in, out} for a matrix.
 */
public final class DecoderTensors {

    public static final String TOKEN_EMBD = "token_embd.weight";
    public static final String OUTPUT_NORM = "output_norm.weight";
    public static final String OUTPUT = "output.weight";

    private DecoderTensors() {
    }

    /** {@code token_embd}, {@code output_norm} and, unless tied, {@code output}. */
    public static void embeddingAndHead(RopeDecoderConfig c, List<TensorSpec> out) {
        out.add(matrix(TOKEN_EMBD, c.embd(), c.vocab()));
        out.add(vector(OUTPUT_NORM, c.embd()));
        if (!c.tiedOutput()) {
            out.add(matrix(OUTPUT, c.embd(), c.vocab()));
        }
    }

    /** {@code attn_norm}, separate {@code attn_q/k/v} (with biases when asked) and {@code attn_output}. */
    public static void attention(RopeDecoderConfig c, int layer, boolean qkvBias, List<TensorSpec> out) {
        out.add(vector(blk(layer, "attn_norm.weight"), c.embd()));
        out.add(matrix(blk(layer, "attn_q.weight"), c.embd(), c.qRows()));
        out.add(matrix(blk(layer, "attn_k.weight"), c.embd(), c.kvRows()));
        out.add(matrix(blk(layer, "attn_v.weight"), c.embd(), c.kvRows()));
        if (qkvBias) {
            out.add(vector(blk(layer, "attn_q.bias"), c.qRows()));
            out.add(vector(blk(layer, "attn_k.bias"), c.kvRows()));
            out.add(vector(blk(layer, "attn_v.bias"), c.kvRows()));
        }
        out.add(matrix(blk(layer, "attn_output.weight"), c.qRows(), c.embd()));
    }

    /** Per-head RMSNorm gains of queries and keys ({@code attn_q_norm}, {@code attn_k_norm}, {head_dim}). */
    public static void qkNorms(RopeDecoderConfig c, int layer, List<TensorSpec> out) {
        out.add(vector(blk(layer, "attn_q_norm.weight"), c.headDim()));
        out.add(vector(blk(layer, "attn_k_norm.weight"), c.headDim()));
    }

    /** {@code ffn_norm} and the SwiGLU MLP: {@code ffn_gate}, {@code ffn_up}, {@code ffn_down}. */
    public static void swiGlu(RopeDecoderConfig c, int layer, List<TensorSpec> out) {
        out.add(vector(blk(layer, "ffn_norm.weight"), c.embd()));
        out.add(matrix(blk(layer, "ffn_gate.weight"), c.embd(), c.ff()));
        out.add(matrix(blk(layer, "ffn_up.weight"), c.embd(), c.ff()));
        out.add(matrix(blk(layer, "ffn_down.weight"), c.ff(), c.embd()));
    }
}

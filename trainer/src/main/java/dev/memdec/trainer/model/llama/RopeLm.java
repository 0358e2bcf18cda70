package dev.memdec.trainer.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import dev.memdec.converter.family.DecoderTensors;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.trainer.model.CausalLm;
import dev.memdec.trainer.model.ModelTensors;
import dev.memdec.trainer.model.OwnedArrays;
import dev.memdec.trainer.model.TensorSource;
import java.util.Collections;
import java.util.Map;

import static dev.memdec.converter.family.TensorSpec.blk;

/**
 * A llama-shaped causal LM on DJL's PyTorch engine, written as plain tensor code in llama.cpp's tensor layout so
 * that it computes what llama.cpp's llama / qwen2 / qwen3 graphs compute: RMSNorm, Q/K/V projections (qwen2:
 * with biases; qwen3: each head RMS-normalised), RoPE (llama's adjacent pairs or NEOX halves, base frequencies
 * divided by {@code rope_freqs} when present), causal grouped-query attention scaled by 1/√head_dim, a SwiGLU
 * MLP, a final RMSNorm and an output head that is the token embedding when tied.
 *
 * <p>Parameters are keyed by their GGUF names ({@link RopeLmConfig#trainableTensors()}) and live in this model's
 * own manager; constant factors are NDArrays, never Java {@code Number} operands (dependencies.md §1.5).
 */
public final class RopeLm implements CausalLm {

    private final RopeLmConfig config;
    private final RopeDecoderConfig shape;
    private final boolean qkvBias;
    private final boolean qkNorm;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;
    private final NDArray attnScale;
    private final NDArray eps;
    /** Angle per rotary pair and position: [ctx, headDim/2]; cos and sin of it. */
    private final NDArray cos;
    private final NDArray sin;

    private RopeLm(RopeLmConfig config, NDManager manager, Map<String, NDArray> parameters) {
        this.config = config;
        this.shape = config.decoder();
        this.qkvBias = parameters.containsKey(blk(0, "attn_q.bias"));
        this.qkNorm = parameters.containsKey(blk(0, "attn_q_norm.weight"));
        this.manager = manager;
        this.parameters = Collections.unmodifiableMap(parameters);
        this.attnScale = OwnedArrays.scalar(manager, (float) (1.0 / Math.sqrt(shape.headDim())));
        this.eps = OwnedArrays.scalar(manager, shape.rmsEps());
        int pairs = shape.headDim() / 2;
        float[] factors = config.ropeFreqFactorArray();
        float[] c = new float[shape.ctx() * pairs];
        float[] s = new float[c.length];
        for (int pos = 0; pos < shape.ctx(); pos++) {
            for (int i = 0; i < pairs; i++) {
                double angle = pos * Math.pow(shape.ropeTheta(), -2.0 * i / shape.headDim()) / factors[i];
                c[pos * pairs + i] = (float) Math.cos(angle);
                s[pos * pairs + i] = (float) Math.sin(angle);
            }
        }
        this.cos = OwnedArrays.floats(manager, c, new Shape(shape.ctx(), pairs));
        this.sin = OwnedArrays.floats(manager, s, new Shape(shape.ctx(), pairs));
    }

    /**
     * Builds a model whose tensors come from {@code source}, in a new sub-manager of {@code parent}.
     *
     * @throws IllegalArgumentException when the source returns a tensor of the wrong size
     */
    public static RopeLm create(NDManager parent, RopeLmConfig config, TensorSource source) {
        return ModelTensors.build(parent, config.trainableTensors(), source, (m, p) -> new RopeLm(config, m, p));
    }

    @Override
    public RopeLmConfig spec() {
        return config;
    }

    @Override
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    @Override
    public NDArray outputWeight() {
        return param(shape.tiedOutput() ? DecoderTensors.TOKEN_EMBD : DecoderTensors.OUTPUT);
    }

    @Override
    public NDArray hidden(NDArray tokens) {
        ModelTensors.checkTokens(tokens, shape.ctx());
        NDManager m = tokens.getManager();
        long seq = tokens.getShape().get(1);
        NDArray x = Embedding.embedding(tokens, param(DecoderTensors.TOKEN_EMBD), SparseFormat.DENSE).singletonOrThrow();
        NDArray mask = ModelTensors.causalMask(m, seq);
        NDArray cosT = cos.get("0:" + seq);
        NDArray sinT = sin.get("0:" + seq);
        cosT.attach(m);   // a slice of a model constant is born in the model's manager: free it with this batch
        sinT.attach(m);
        cosT = cosT.reshape(1, seq, 1, shape.headDim() / 2);
        sinT = sinT.reshape(1, seq, 1, shape.headDim() / 2);
        for (int l = 0; l < shape.layers(); l++) {
            x = block(x, l, mask, cosT, sinT);
        }
        return rmsNorm(x, param(DecoderTensors.OUTPUT_NORM));
    }

    private NDArray block(NDArray x, int l, NDArray mask, NDArray cosT, NDArray sinT) {
        long batch = x.getShape().get(0);
        long seq = x.getShape().get(1);
        int heads = shape.heads();
        int kv = shape.kvHeads();
        int d = shape.headDim();
        NDArray h = rmsNorm(x, param(blk(l, "attn_norm.weight")));
        NDArray q = project(h, l, "attn_q").reshape(batch, seq, heads, d);
        NDArray k = project(h, l, "attn_k").reshape(batch, seq, kv, d);
        NDArray v = project(h, l, "attn_v").reshape(batch, seq, kv, d);
        if (qkNorm) {
            q = rmsNorm(q, param(blk(l, "attn_q_norm.weight")));
            k = rmsNorm(k, param(blk(l, "attn_k_norm.weight")));
        }
        q = rope(q, cosT, sinT);
        k = rope(k, cosT, sinT);
        if (kv != heads) {
            // query head i reads KV head i / (heads / kv), as ggml broadcasts K and V across query heads
            long group = heads / kv;
            k = k.reshape(batch, seq, kv, 1, d).broadcast(new Shape(batch, seq, kv, group, d)).reshape(batch, seq, heads, d);
            v = v.reshape(batch, seq, kv, 1, d).broadcast(new Shape(batch, seq, kv, group, d)).reshape(batch, seq, heads, d);
        }
        NDArray scores = q.transpose(0, 2, 1, 3).matMul(k.transpose(0, 2, 3, 1)).mul(attnScale).add(mask).softmax(-1);
        NDArray y = scores.matMul(v.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3).reshape(batch, seq, (long) heads * d);
        x = x.add(Linear.linear(y, param(blk(l, "attn_output.weight"))).singletonOrThrow());
        NDArray f = rmsNorm(x, param(blk(l, "ffn_norm.weight")));
        NDArray gate = Linear.linear(f, param(blk(l, "ffn_gate.weight"))).singletonOrThrow();
        NDArray up = Linear.linear(f, param(blk(l, "ffn_up.weight"))).singletonOrThrow();
        return x.add(Linear.linear(ModelTensors.swiglu(gate, up), param(blk(l, "ffn_down.weight"))).singletonOrThrow());
    }

    private NDArray project(NDArray h, int l, String name) {
        NDArray w = param(blk(l, name + ".weight"));
        return (qkvBias ? Linear.linear(h, w, param(blk(l, name + ".bias")))
                : Linear.linear(h, w)).singletonOrThrow();
    }

    /**
     * Rotates [B, T, H, d] by the position's angles. NEOX pairs dimension i with i + d/2; llama's NORM pairs 2i
     * with 2i+1 (its Q/K rows are stored in that order).
     */
    private NDArray rope(NDArray t, NDArray cosT, NDArray sinT) {
        Shape dims = t.getShape();
        int pairs = shape.headDim() / 2;
        if (config.neoxRope()) {
            NDList halves = t.split(2, 3);
            NDArray a = halves.get(0);
            NDArray b = halves.get(1);
            return NDArrays.concat(new NDList(a.mul(cosT).sub(b.mul(sinT)), b.mul(cosT).add(a.mul(sinT))), 3);
        }
        NDList parts = t.reshape(dims.get(0), dims.get(1), dims.get(2), pairs, 2).split(2, 4);
        NDArray a = parts.get(0).squeeze(4);
        NDArray b = parts.get(1).squeeze(4);
        return NDArrays.stack(new NDList(a.mul(cosT).sub(b.mul(sinT)), b.mul(cosT).add(a.mul(sinT))), 4)
                .reshape(dims);
    }

    private NDArray rmsNorm(NDArray x, NDArray weight) {
        return ModelTensors.rmsNorm(x, weight, eps);
    }

    private NDArray param(String name) {
        NDArray p = parameters.get(name);
        if (p == null) {
            throw new IllegalStateException("no tensor " + name + " in this " + config.architecture() + " model");
        }
        return p;
    }

    @Override
    public void close() {
        manager.close();
    }
}

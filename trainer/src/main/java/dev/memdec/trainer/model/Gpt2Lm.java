package dev.memdec.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2Tensors;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A GPT-2-architecture causal LM on DJL's PyTorch engine, written as plain tensor code so that it computes
 * exactly what llama.cpp's gpt2 graph computes: learned token + position embeddings, pre-LN blocks with fused
 * QKV, causal softmax attention scaled by 1/√head_dim, a tanh-GELU MLP, a final LayerNorm (ε 1e-5) and an
 * output head tied to the token embedding.
 *
 * <p>Parameters are keyed by their GGUF tensor names ({@link Gpt2Tensors}; the tied {@code output.weight} is not a separate parameter) and live in this model's own
 * manager. Every constant factor is an NDArray held for the model's lifetime, never a Java {@code Number}
 * operand (DJL 0.35.1 corrupts gradients through scalar operands, dependencies.md §1.5).
 */
public final class Gpt2Lm implements TrainableModel {

    /** Supplies the initial values of one tensor in PyTorch row-major order (= GGUF element order). */
    @FunctionalInterface
    public interface TensorSource {
        float[] read(String name, long[] shape);
    }

    private static final float MASKED = -1e9f;

    private final Gpt2Config config;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;
    private final NDArray attnScale;
    private final GeluTanh gelu;

    private Gpt2Lm(Gpt2Config config, NDManager manager, Map<String, NDArray> parameters) {
        this.config = config;
        this.manager = manager;
        this.parameters = Collections.unmodifiableMap(parameters);
        this.attnScale = OwnedArrays.scalar(manager, (float) (1.0 / Math.sqrt(config.embd() / config.heads())));
        this.gelu = new GeluTanh(manager);
    }

    /**
     * Builds a model whose tensors come from {@code source}, in a new sub-manager of {@code parent}.
     *
     * @throws IllegalArgumentException when the source returns a tensor of the wrong size
     */
    public static Gpt2Lm create(NDManager parent, Gpt2Config config, TensorSource source) {
        NDManager manager = parent.newSubManager();
        Map<String, NDArray> params;
        try {
            params = TrainableModel.load(manager, Gpt2Lm.trainableTensors(config), source);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        return new Gpt2Lm(config, manager, params);
    }

    /**
     * GPT-2's initialisation, seeded: weights N(0, 0.02), residual output projections N(0, 0.02/√(2·layers)),
     * biases 0, LayerNorm gains 1. The same seed gives the same values on every machine.
     */
    public static TensorSource randomInit(Gpt2Config config, long seed) {
        return initialisation(config.layers(), seed);
    }

    /**
     * GPT-2's initialisation for a network of {@code layers} residual blocks, by tensor name: {@code *_norm.weight}
     * 1, other weights N(0, 0.02) ({@code attn_output}/{@code ffn_down}: N(0, 0.02/√(2·layers))), everything else 0;
     * values drawn in the order the tensors are asked for.
     */
    static TensorSource initialisation(int layers, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double residualStd = 0.02 / Math.sqrt(2.0 * layers);
        return (name, dims) -> {
            float[] v = new float[Math.toIntExact(Gpt2Lm.count(dims))];
            if (name.endsWith("_norm.weight")) {
                java.util.Arrays.fill(v, 1f);
            } else if (name.endsWith(".weight")) {
                double std = name.endsWith("attn_output.weight") || name.endsWith("ffn_down.weight") ? residualStd : 0.02;
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (random.nextGaussian() * std);
                }
            }
            return v;
        };
    }

    /**
     * Every trainable tensor with its PyTorch shape (the GGUF {@code ne} reversed, so the element order is the
     * same in both), in GGUF writing order, without the tied {@code output.weight}.
     */
    public static Map<String, long[]> trainableTensors(Gpt2Config c) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (Gpt2Tensors.Spec spec : Gpt2Tensors.of(c)) {
            if (!spec.name().equals(Gpt2Tensors.OUTPUT)) {
                out.put(spec.name(), TrainableModel.torchShape(spec.ne()));
            }
        }
        return out;
    }

    /** Elements of a tensor of {@code shape}. */
    public static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public Gpt2Config config() {
        return config;
    }

    /** The trainable tensors by GGUF name, in {@link #trainableTensors} order. */
    @Override
    public Map<String, NDArray> parameters() {
        return parameters;
    }


    /** This model's current values as the initial values of another (a copy of each tensor). */
    public TensorSource asSource() {
        return (name, dims) -> values(name);
    }


    @Override
    public int vocab() {
        return config.vocab();
    }

    /** The logits of {@link #forward} at the scored positions; a token model has no use for {@code keys}. */
    @Override
    public NDArray scoredLogits(NDArray tokens, NDArray rows, NDArray keys) {
        return forward(tokens).reshape(-1, config.vocab()).get(new NDIndex("{}", rows));
    }

    /**
     * Next-token logits [B, T, vocab] for token ids [B, T] (INT64). Intermediates live in the manager of
     * {@code tokens}, so closing that manager frees them.
     */
    public NDArray forward(NDArray tokens) {
        Shape in = tokens.getShape();
        if (in.dimension() != 2 || in.get(1) > config.ctx() || in.get(1) < 1) {
            throw new IllegalArgumentException("tokens: expected shape [batch, 1.." + config.ctx() + "], got " + in);
        }
        NDManager m = tokens.getManager();
        long seq = in.get(1);
        NDArray positions = m.arange(0, (int) seq, 1, DataType.INT64);
        NDArray x = embed(tokens, Gpt2Tensors.TOKEN_EMBD).add(embed(positions, Gpt2Tensors.POSITION_EMBD));
        NDArray mask = causalMask(m, seq);
        for (int l = 0; l < config.layers(); l++) {
            x = block(x, l, mask);
        }
        x = layerNorm(x, "output_norm");
        return Linear.linear(x, param(Gpt2Tensors.TOKEN_EMBD)).singletonOrThrow();
    }

    private NDArray block(NDArray x, int layer, NDArray mask) {
        long batch = x.getShape().get(0);
        long seq = x.getShape().get(1);
        int heads = config.heads();
        int headDim = config.embd() / config.heads();
        NDArray h = layerNorm(x, "blk." + layer + ".attn_norm");
        NDArray qkv = linear(h, Gpt2Tensors.blk(layer, "attn_qkv"));
        NDList parts = qkv.split(3, 2);
        NDArray q = parts.get(0).reshape(batch, seq, heads, headDim).transpose(0, 2, 1, 3);
        NDArray k = parts.get(1).reshape(batch, seq, heads, headDim).transpose(0, 2, 3, 1);
        NDArray v = parts.get(2).reshape(batch, seq, heads, headDim).transpose(0, 2, 1, 3);
        NDArray attention = q.matMul(k).mul(attnScale).add(mask).softmax(-1);
        NDArray y = attention.matMul(v).transpose(0, 2, 1, 3).reshape(batch, seq, config.embd());
        x = x.add(linear(y, Gpt2Tensors.blk(layer, "attn_output")));
        NDArray f = layerNorm(x, "blk." + layer + ".ffn_norm");
        f = linear(gelu.apply(linear(f, Gpt2Tensors.blk(layer, "ffn_up"))), Gpt2Tensors.blk(layer, "ffn_down"));
        return x.add(f);
    }

    /** Additive mask [T, T]: 0 where key position ≤ query position, −1e9 elsewhere (no tril in DJL). */
    private static NDArray causalMask(NDManager m, long seq) {
        NDArray r = m.arange(0, (int) seq, 1, DataType.INT64);
        NDArray allowed = r.reshape(seq, 1).gte(r.reshape(1, seq)).toType(DataType.FLOAT32, false);
        return allowed.sub(1f).mul(-MASKED);
    }

    private NDArray embed(NDArray ids, String table) {
        return Embedding.embedding(ids, param(table), SparseFormat.DENSE).singletonOrThrow();
    }

    private NDArray linear(NDArray x, String prefix) {
        return Linear.linear(x, param(prefix + ".weight"), param(prefix + ".bias")).singletonOrThrow();
    }

    private NDArray layerNorm(NDArray x, String prefix) {
        return LayerNorm.layerNorm(x, new Shape(config.embd()), param(prefix + ".weight"), param(prefix + ".bias"),
                config.eps()).singletonOrThrow();
    }

    private NDArray param(String name) {
        return parameters.get(name);
    }

    @Override
    public void close() {
        manager.close();
    }
}

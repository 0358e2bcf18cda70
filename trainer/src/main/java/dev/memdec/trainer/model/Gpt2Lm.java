package dev.memdec.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
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
public final class Gpt2Lm implements CausalLm {

    /**
     * The name {@link dev.memdec.trainer.demo} still uses for a {@link dev.memdec.trainer.model.TensorSource};
     * nothing else refers to it.
     */
    @FunctionalInterface
    public interface TensorSource extends dev.memdec.trainer.model.TensorSource {
    }

    /** A GPT-2 shape as the architecture-neutral {@link LmConfig} the training loop works with. */
    public record Spec(Gpt2Config config) implements LmConfig {

        @Override
        public String architecture() {
            return "gpt2";
        }

        @Override
        public int vocab() {
            return config.vocab();
        }

        @Override
        public int ctx() {
            return config.ctx();
        }

        @Override
        public long parameterCount() {
            return config.parameterCount();
        }

        @Override
        public String shapeText() {
            return ShapeSpec.of(config);
        }

        @Override
        public Map<String, long[]> trainableTensors() {
            return Gpt2Lm.trainableTensors(config);
        }

        @Override
        public TensorSource randomInit(long seed) {
            return Gpt2Lm.randomInit(config, seed);
        }

        @Override
        public Gpt2Lm create(NDManager parent, dev.memdec.trainer.model.TensorSource source) {
            return Gpt2Lm.create(parent, config, source);
        }
    }

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
    public static Gpt2Lm create(NDManager parent, Gpt2Config config, dev.memdec.trainer.model.TensorSource source) {
        return ModelTensors.build(parent, trainableTensors(config), source, (m, p) -> new Gpt2Lm(config, m, p));
    }

    /** GPT-2's initialisation, seeded: the reference's ({@link ModelTensors#referenceInit}). */
    public static TensorSource randomInit(Gpt2Config config, long seed) {
        dev.memdec.trainer.model.TensorSource init = ModelTensors.referenceInit(seed, config.layers());
        return init::read;
    }

    /**
     * Every trainable tensor with its PyTorch shape (the GGUF {@code ne} reversed, so the element order is the
     * same in both), in GGUF writing order, without the tied {@code output.weight}.
     */
    public static Map<String, long[]> trainableTensors(Gpt2Config c) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (Gpt2Tensors.Spec spec : Gpt2Tensors.of(c)) {
            if (!spec.name().equals(Gpt2Tensors.OUTPUT)) {
                out.put(spec.name(), ModelTensors.torchShape(spec.ne()));
            }
        }
        return out;
    }

    public Gpt2Config config() {
        return config;
    }

    @Override
    public Spec spec() {
        return new Spec(config);
    }

    @Override
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    /** This model's current values as the initial values of another (the demo's {@link TensorSource}). */
    @Override
    public TensorSource asSource() {
        return (name, dims) -> values(name);
    }

    @Override
    public NDArray outputWeight() {
        return param(Gpt2Tensors.TOKEN_EMBD);
    }

    @Override
    public NDArray hidden(NDArray tokens) {
        ModelTensors.checkTokens(tokens, config.ctx());
        NDManager m = tokens.getManager();
        long seq = tokens.getShape().get(1);
        NDArray positions = m.arange(0, (int) seq, 1, DataType.INT64);
        NDArray x = embed(tokens, Gpt2Tensors.TOKEN_EMBD).add(embed(positions, Gpt2Tensors.POSITION_EMBD));
        NDArray mask = ModelTensors.causalMask(m, seq);
        for (int l = 0; l < config.layers(); l++) {
            x = block(x, l, mask);
        }
        return layerNorm(x, "output_norm");
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

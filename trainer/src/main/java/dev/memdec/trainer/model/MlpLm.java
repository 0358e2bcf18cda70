package dev.memdec.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import dev.memdec.converter.gguf.FloatSource;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.converter.mlp.MlpMemoryGguf;
import dev.memdec.converter.mlp.MlpMemoryTensors;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * An MLP memory (reference-spec §9.2) on DJL's PyTorch engine, computing what memdec's runtime
 * ({@code dev.memdec.plugin.mlp.MlpMemory}) computes from the exported GGUF: optional input projection → blocks of
 * {@code x + MLP(norm(x))} → final norm → output head. {@link MlpMemoryConfig.Flavour#GPT2}: LayerNorm with bias and
 * a tanh-GELU MLP with biases; {@link MlpMemoryConfig.Flavour#LLAMA}: RMSNorm and SwiGLU without biases.
 *
 * <p>Parameters are keyed by their GGUF names ({@link MlpMemoryTensors}) with the GGUF {@code ne} reversed as PyTorch
 * shape, so element orders agree. Constants are NDArrays (dependencies.md §1.5).
 */
public final class MlpLm implements TrainableModel {

    /** An MLP memory's shape as the {@link LmConfig} the training loop works with. */
    public record Spec(MlpMemoryConfig config) implements LmConfig {

        @Override
        public String architecture() {
            return MlpMemoryGguf.ARCH;
        }

        @Override
        public int vocab() {
            return config.vocab();
        }

        /** An MLP memory reads no tokens: 0. */
        @Override
        public int ctx() {
            return 0;
        }

        @Override
        public long parameterCount() {
            return config.parameterCount();
        }

        @Override
        public String shapeText() {
            return "mlp " + config.flavour().ggufName() + " " + config.blocks() + "x" + config.width();
        }

        /** Every tensor with its PyTorch shape (the GGUF {@code ne} reversed), in GGUF order. */
        @Override
        public Map<String, long[]> trainableTensors() {
            Map<String, long[]> out = new LinkedHashMap<>();
            for (MlpMemoryTensors.Spec spec : MlpMemoryTensors.of(config)) {
                out.put(spec.name(), ModelTensors.torchShape(spec.ne()));
            }
            return out;
        }

        /**
         * The reference's initialisation (HF {@code init_weights}, {@link ModelTensors#referenceInit}) over the
         * memory's blocks: the residual output projections ({@code ffn_down}) scaled by 1/√(2·blocks).
         */
        @Override
        public TensorSource randomInit(long seed) {
            return ModelTensors.referenceInit(seed, config.blocks());
        }

        @Override
        public MlpLm create(NDManager parent, TensorSource source) {
            return MlpLm.create(parent, config, source);
        }
    }

    private final MlpMemoryConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;
    private final GeluTanh gelu;
    private final NDArray eps;

    private MlpLm(MlpMemoryConfig config, NDManager manager, Map<String, NDArray> parameters) {
        this.config = config;
        this.manager = manager;
        this.parameters = Collections.unmodifiableMap(parameters);
        this.gelu = new GeluTanh(manager);
        this.eps = OwnedArrays.scalar(manager, config.eps());
    }

    /**
     * Builds a memory whose tensors come from {@code source}, in a new sub-manager of {@code parent}.
     *
     * @throws IllegalArgumentException when the source returns a tensor of the wrong size
     */
    public static MlpLm create(NDManager parent, MlpMemoryConfig config, TensorSource source) {
        return ModelTensors.build(parent, new Spec(config).trainableTensors(), source, (m, p) -> new MlpLm(config, m, p));
    }

    public MlpMemoryConfig config() {
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

    /** A snapshot of the current values as the tensors of {@code MlpMemoryGguf.write}. */
    public Function<String, FloatSource> weights() {
        Map<String, float[]> values = new HashMap<>();
        for (String name : parameters.keySet()) {
            values.put(name, values(name));
        }
        return name -> {
            float[] v = values.get(name);
            if (v == null) {
                throw new IllegalArgumentException("no MLP memory tensor named '" + name + "' in this model");
            }
            return (first, dst, count) -> System.arraycopy(v, Math.toIntExact(first), dst, 0, count);
        };
    }

    /** The memory reads one hidden state per scored position: {@code keys} are required, tokens unused. */
    @Override
    public NDArray scoredHidden(NDArray tokens, NDArray rows, NDArray keys) {
        if (keys == null) {
            throw new IllegalArgumentException("an MLP memory needs the host's hidden states: these windows carry no keys");
        }
        return hidden(keys);
    }

    @Override
    public NDArray outputWeight() {
        return parameters.get(MlpMemoryTensors.OUTPUT);
    }

    /** Logits [N, vocab] for host hidden states [N, host width]. Intermediates live in the manager of {@code keys}. */
    public NDArray forward(NDArray keys) {
        return linear(hidden(keys), MlpMemoryTensors.OUTPUT, null);
    }

    /** The final hidden states [N, width] (after the output norm) for host hidden states [N, host width]. */
    private NDArray hidden(NDArray keys) {
        Shape in = keys.getShape();
        if (in.dimension() != 2 || in.get(1) != config.inputWidth()) {
            throw new IllegalArgumentException("keys: expected shape [n, " + config.inputWidth() + "], got " + in);
        }
        boolean gpt2 = config.flavour() == MlpMemoryConfig.Flavour.GPT2;
        NDArray x = keys;
        if (config.projects()) {
            x = linear(x, MlpMemoryTensors.INPUT, gpt2 ? MlpMemoryTensors.INPUT_BIAS : null);
        }
        for (int b = 0; b < config.blocks(); b++) {
            NDArray h = norm(x, MlpMemoryTensors.norm(b), gpt2 ? MlpMemoryTensors.normBias(b) : null);
            NDArray f;
            if (gpt2) {
                f = linear(gelu.apply(linear(h, MlpMemoryTensors.up(b), MlpMemoryTensors.upBias(b))),
                        MlpMemoryTensors.down(b), MlpMemoryTensors.downBias(b));
            } else {
                NDArray gate = linear(h, MlpMemoryTensors.gate(b), null);
                f = linear(ModelTensors.swiglu(gate, linear(h, MlpMemoryTensors.up(b), null)),
                        MlpMemoryTensors.down(b), null);
            }
            x = x.add(f);
        }
        return norm(x, MlpMemoryTensors.OUTPUT_NORM, gpt2 ? MlpMemoryTensors.OUTPUT_NORM_BIAS : null);
    }

    private NDArray linear(NDArray x, String weight, String bias) {
        return (bias == null ? Linear.linear(x, parameters.get(weight))
                : Linear.linear(x, parameters.get(weight), parameters.get(bias))).singletonOrThrow();
    }

    /** LayerNorm when the flavour has a bias, else RMSNorm x / √(mean(x²) + ε) · g. */
    private NDArray norm(NDArray x, String gain, String bias) {
        if (bias != null) {
            return LayerNorm.layerNorm(x, new Shape(config.width()), parameters.get(gain), parameters.get(bias),
                    config.eps()).singletonOrThrow();
        }
        return ModelTensors.rmsNorm(x, parameters.get(gain), eps);
    }

    @Override
    public void close() {
        manager.close();
    }
}

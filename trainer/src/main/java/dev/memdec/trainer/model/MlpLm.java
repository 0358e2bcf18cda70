package dev.memdec.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import dev.memdec.converter.gguf.FloatSource;
import dev.memdec.converter.mlp.MlpMemoryConfig;
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
    public static MlpLm create(NDManager parent, MlpMemoryConfig config, Gpt2Lm.TensorSource source) {
        NDManager manager = parent.newSubManager();
        Map<String, NDArray> params;
        try {
            params = TrainableModel.load(manager, tensors(config), source);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        return new MlpLm(config, manager, params);
    }

    /**
     * The reference's initialisation (HF {@code init_weights}), seeded: matrices N(0, 0.02), the residual output
     * projections ({@code ffn_down}) N(0, 0.02/√(2·blocks)) as GPT-2 scales them, biases 0, norm gains 1.
     */
    public static Gpt2Lm.TensorSource randomInit(MlpMemoryConfig config, long seed) {
        return Gpt2Lm.initialisation(config.blocks(), seed);
    }

    /** Every tensor of {@code c} with its PyTorch shape (the GGUF {@code ne} reversed), in GGUF order. */
    public static Map<String, long[]> tensors(MlpMemoryConfig c) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (MlpMemoryTensors.Spec spec : MlpMemoryTensors.of(c)) {
            out.put(spec.name(), TrainableModel.torchShape(spec.ne()));
        }
        return out;
    }

    public MlpMemoryConfig config() {
        return config;
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


    @Override
    public int vocab() {
        return config.vocab();
    }

    /** The memory reads one hidden state per scored position: {@code keys} are required, tokens unused. */
    @Override
    public NDArray scoredLogits(NDArray tokens, NDArray rows, NDArray keys) {
        if (keys == null) {
            throw new IllegalArgumentException("an MLP memory needs the host's hidden states: these windows carry no keys");
        }
        return forward(keys);
    }

    /**
     * Logits [N, vocab] for host hidden states [N, host width]. Intermediates live in the manager of {@code keys}.
     */
    public NDArray forward(NDArray keys) {
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
                f = linear(gate.mul(Activation.sigmoid(gate)).mul(linear(h, MlpMemoryTensors.up(b), null)),
                        MlpMemoryTensors.down(b), null);
            }
            x = x.add(f);
        }
        x = norm(x, MlpMemoryTensors.OUTPUT_NORM, gpt2 ? MlpMemoryTensors.OUTPUT_NORM_BIAS : null);
        return linear(x, MlpMemoryTensors.OUTPUT, null);
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
        NDArray rms = x.mul(x).mean(new int[] {-1}, true).add(eps).sqrt();
        return x.div(rms).mul(parameters.get(gain));
    }

    @Override
    public void close() {
        manager.close();
    }
}

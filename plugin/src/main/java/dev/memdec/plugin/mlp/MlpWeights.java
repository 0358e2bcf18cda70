package dev.memdec.plugin.mlp;

import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.converter.mlp.MlpMemoryTensors;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

/**
 * An MLP memory's tensors in the order the forward uses them, each held as its engine holds it ({@code M} a matrix,
 * {@code V} a vector): one place that knows which tensors a flavour has. Absent tensors are null: the input
 * projection and its bias without a projection, the biases in the llama flavour, the gate in the gpt2 flavour.
 */
record MlpWeights<M, V>(M input, V inputBias, List<V> norm, List<V> normBias, List<M> gate, List<M> up,
        List<V> upBias, List<M> down, List<V> downBias, V outputNorm, V outputNormBias, M output) {

    /** Loads every tensor of {@code c}'s layout through the engine's own loaders. */
    static <M, V> MlpWeights<M, V> load(MlpMemoryConfig c, Function<String, M> matrix, Function<String, V> vector) {
        boolean gpt2 = c.flavour() == MlpMemoryConfig.Flavour.GPT2;
        M input = c.projects() ? matrix.apply(MlpMemoryTensors.INPUT) : null;
        V inputBias = c.projects() && gpt2 ? vector.apply(MlpMemoryTensors.INPUT_BIAS) : null;
        List<V> norm = new ArrayList<>();
        List<V> normBias = new ArrayList<>();
        List<M> gate = new ArrayList<>();
        List<M> up = new ArrayList<>();
        List<V> upBias = new ArrayList<>();
        List<M> down = new ArrayList<>();
        List<V> downBias = new ArrayList<>();
        for (int b = 0; b < c.blocks(); b++) {
            norm.add(vector.apply(MlpMemoryTensors.norm(b)));
            up.add(matrix.apply(MlpMemoryTensors.up(b)));
            down.add(matrix.apply(MlpMemoryTensors.down(b)));
            normBias.add(gpt2 ? vector.apply(MlpMemoryTensors.normBias(b)) : null);
            upBias.add(gpt2 ? vector.apply(MlpMemoryTensors.upBias(b)) : null);
            downBias.add(gpt2 ? vector.apply(MlpMemoryTensors.downBias(b)) : null);
            gate.add(gpt2 ? null : matrix.apply(MlpMemoryTensors.gate(b)));
        }
        V outputNorm = vector.apply(MlpMemoryTensors.OUTPUT_NORM);
        V outputNormBias = gpt2 ? vector.apply(MlpMemoryTensors.OUTPUT_NORM_BIAS) : null;
        M output = matrix.apply(MlpMemoryTensors.OUTPUT);
        return new MlpWeights<>(input, inputBias, Collections.unmodifiableList(norm),
                Collections.unmodifiableList(normBias), Collections.unmodifiableList(gate),
                Collections.unmodifiableList(up), Collections.unmodifiableList(upBias),
                Collections.unmodifiableList(down), Collections.unmodifiableList(downBias), outputNorm, outputNormBias,
                output);
    }

    /** Every matrix present, input projection first and the head last. */
    List<M> matrices() {
        List<M> all = new ArrayList<>();
        if (input != null) {
            all.add(input);
        }
        for (int b = 0; b < up.size(); b++) {
            all.add(up.get(b));
            all.add(down.get(b));
            if (gate.get(b) != null) {
                all.add(gate.get(b));
            }
        }
        all.add(output);
        return all;
    }
}

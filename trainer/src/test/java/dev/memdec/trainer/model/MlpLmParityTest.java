package dev.memdec.trainer.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.converter.mlp.MlpMemoryGguf;
import dev.memdec.converter.mlp.RandomMlpWeights;
import dev.memdec.plugin.mlp.MlpMemory;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The trainer's MLP memory (DJL) and the runtime's ({@code plugin.mlp.MlpMemory}) on the GGUF the trainer's weights
 * are written to: the same logits to 1e-4 for both flavours, with and without an input projection. The weights are
 * {@link RandomMlpWeights} (norm gains and biases not 1 and 0, so a norm or bias applied wrongly shows).
 */
public class MlpLmParityTest {

    @ParameterizedTest(name = "{0}, host width {1}, width {2}")
    @CsvSource({"gpt2, 32, 32", "gpt2, 24, 32", "llama, 32, 32", "llama, 48, 32"})
    void djlLogitsMatchTheRuntimeOnTheExportedFile(String flavour, int hostWidth, int width, @TempDir Path dir)
            throws Exception {
        MlpMemoryConfig.Flavour f = MlpMemoryConfig.Flavour.parse(flavour);
        MlpMemoryConfig config = MlpMemoryConfig.of(f, width, 2, 300,
                new MlpMemoryConfig.Host(flavour, hostWidth, "ffn_norm-1", ""), "tok");
        RandomMlpWeights random = new RandomMlpWeights(config, 7);
        int n = 5;
        float[] keys = new float[n * hostWidth];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < keys.length; i++) {
            keys[i] = (float) (r.nextGaussian() * 2);
        }
        Path file = dir.resolve("mlp.gguf");
        float[] djl;
        try (NDManager m = NDManager.newBaseManager("PyTorch");
             MlpLm model = MlpLm.create(m, config, (name, shape) -> {
                 float[] v = new float[Math.toIntExact(LmConfig.count(shape))];
                 random.apply(name).read(0, v, v.length);
                 return v;
             })) {
            djl = model.forward(m.create(keys, new Shape(n, hostWidth))).toFloatArray();
            MlpMemoryGguf.write(config, model.weights(), GgmlType.F32, Map.of(), file);
        }
        double worst = maxDifference(MlpMemory.open(file), keys, n, djl);
        System.out.printf("%s %d->%d: max |DJL - runtime| logit difference %.2e%n", flavour, hostWidth, width, worst);
        assertTrue(worst <= 1e-4, flavour + ": max logit difference " + worst);
    }

    /** The largest |runtime − DJL| logit over {@code n} keys ({@code djl}: the DJL logits, row-major [n × vocab]). */
    public static double maxDifference(MlpMemory runtime, float[] keys, int n, float[] djl) {
        int width = runtime.config().inputWidth();
        int vocab = runtime.config().vocab();
        float[] logits = new float[vocab];
        double worst = 0;
        for (int i = 0; i < n; i++) {
            runtime.logits(keys, i * width, logits);
            for (int v = 0; v < vocab; v++) {
                worst = Math.max(worst, Math.abs(logits[v] - djl[i * vocab + v]));
            }
        }
        return worst;
    }
}

package dev.memdec.plugin.mlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.converter.mlp.MlpMemoryGguf;
import dev.memdec.converter.mlp.MlpMemoryTensors;
import dev.memdec.converter.mlp.RandomMlpWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java engine's MLP forward against the definition (reference-spec §9.2) evaluated in double from the weights. */
class MlpMemoryTest {

    @TempDir
    Path dir;

    private static final MlpMemoryConfig.Host HOST = new MlpMemoryConfig.Host("gpt2", 64, "ffn_norm-1", "aa");

    private static double[] weights(RandomMlpWeights w, MlpMemoryConfig c, String name) {
        long n = MlpMemoryTensors.of(c).stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow()
                .elementCount();
        float[] f = new float[(int) n];
        w.apply(name).read(0, f, f.length);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** y = W·x for a GGUF matrix {in, out} (row-major [out × in]). */
    private static double[] matvec(double[] w, double[] x, int out) {
        double[] y = new double[out];
        for (int r = 0; r < out; r++) {
            for (int i = 0; i < x.length; i++) {
                y[r] += w[r * x.length + i] * x[i];
            }
        }
        return y;
    }

    private static double[] norm(double[] x, double[] g, double[] b, double eps) {
        int n = x.length;
        double mean = 0;
        if (b != null) {
            for (double v : x) {
                mean += v / n;
            }
        }
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean) / n;
        }
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = (x[i] - mean) / Math.sqrt(var + eps) * g[i] + (b == null ? 0 : b[i]);
        }
        return y;
    }

    static double[] reference(MlpMemoryConfig c, RandomMlpWeights w, float[] key) {
        boolean gpt2 = c.flavour() == MlpMemoryConfig.Flavour.GPT2;
        double[] x = new double[key.length];
        for (int i = 0; i < key.length; i++) {
            x[i] = key[i];
        }
        if (c.projects()) {
            x = matvec(weights(w, c, MlpMemoryTensors.INPUT), x, c.width());
            if (gpt2) {
                double[] b = weights(w, c, MlpMemoryTensors.INPUT_BIAS);
                for (int i = 0; i < x.length; i++) {
                    x[i] += b[i];
                }
            }
        }
        for (int blk = 0; blk < c.blocks(); blk++) {
            double[] h = norm(x, weights(w, c, MlpMemoryTensors.norm(blk)),
                    gpt2 ? weights(w, c, MlpMemoryTensors.normBias(blk)) : null, c.eps());
            double[] a = matvec(weights(w, c, MlpMemoryTensors.up(blk)), h, c.ff());
            if (gpt2) {
                double[] b = weights(w, c, MlpMemoryTensors.upBias(blk));
                for (int i = 0; i < a.length; i++) {
                    double v = a[i] + b[i];
                    a[i] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
                }
            } else {
                double[] g = matvec(weights(w, c, MlpMemoryTensors.gate(blk)), h, c.ff());
                for (int i = 0; i < a.length; i++) {
                    a[i] *= g[i] / (1 + Math.exp(-g[i]));
                }
            }
            double[] d = matvec(weights(w, c, MlpMemoryTensors.down(blk)), a, c.width());
            double[] db = gpt2 ? weights(w, c, MlpMemoryTensors.downBias(blk)) : null;
            for (int i = 0; i < x.length; i++) {
                x[i] += d[i] + (db == null ? 0 : db[i]);
            }
        }
        double[] h = norm(x, weights(w, c, MlpMemoryTensors.OUTPUT_NORM),
                gpt2 ? weights(w, c, MlpMemoryTensors.OUTPUT_NORM_BIAS) : null, c.eps());
        return matvec(weights(w, c, MlpMemoryTensors.OUTPUT), h, c.vocab());
    }

    @Test
    void logitsMatchTheDefinitionForBothFlavoursWithAndWithoutProjection() throws Exception {
        MlpMemoryConfig[] configs = {MlpMemoryConfig.gpt2(64, 3, 1100, HOST, "t"), MlpMemoryConfig.gpt2(32, 2, 1100, HOST, "t"),
                new MlpMemoryConfig(MlpMemoryConfig.Flavour.LLAMA, 64, 2, 96, 1100, 1e-6f, HOST, "t", 0.25f, 1f),
                new MlpMemoryConfig(MlpMemoryConfig.Flavour.LLAMA, 96, 2, 160, 1100, 1e-6f, HOST, "t", 0.25f, 1f)};
        Random random = new Random(1);
        for (MlpMemoryConfig c : configs) {
            RandomMlpWeights w = new RandomMlpWeights(c, 9);
            Path file = dir.resolve(c.flavour() + "-" + c.width() + ".gguf");
            MlpMemoryGguf.write(c, w, GgmlType.F32, Map.of(), file);
            MlpMemory m = MlpMemory.open(file, 1, MlpMemory.Engine.JAVA);
            MlpMemory threaded = MlpMemory.open(file, 3, MlpMemory.Engine.JAVA);
            assertEquals(c, m.config());
            double maxDiff = 0;
            int trials = 4;
            float[] keys = new float[5 + trials * c.inputWidth()];
            float[] rowByRow = new float[trials * c.vocab()];
            for (int trial = 0; trial < trials; trial++) {
                float[] key = new float[c.inputWidth() + 5];
                for (int i = 0; i < key.length; i++) {
                    key[i] = (float) (random.nextGaussian() * 2);
                }
                float[] logits = new float[c.vocab()];
                m.logits(key, 5, logits);
                float[] parallel = new float[c.vocab()];
                threaded.logits(key, 5, parallel);
                // The head (width x 1,100 >= 65,536 weights) is split across the threads: same rows, same sums.
                org.junit.jupiter.api.Assertions.assertArrayEquals(logits, parallel, "rows split across 3 threads");
                System.arraycopy(key, 5, keys, 5 + trial * c.inputWidth(), c.inputWidth());
                System.arraycopy(logits, 0, rowByRow, trial * c.vocab(), c.vocab());
                double[] ref = reference(c, w, java.util.Arrays.copyOfRange(key, 5, key.length));
                for (int i = 0; i < ref.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(ref[i] - logits[i]));
                }
            }
            // A batch of rows gives each row's single-row logits bit for bit, on one thread and split across three.
            for (MlpMemory mem : new MlpMemory[] {m, threaded}) {
                float[] batched = new float[trials * c.vocab()];
                mem.logits(keys, 5, trials, batched);
                org.junit.jupiter.api.Assertions.assertArrayEquals(rowByRow, batched, "batched rows");
            }
            System.out.printf("MLP memory %s %dx%d: max |runtime - reference| logit %.2e%n", c.flavour(), c.blocks(),
                    c.width(), maxDiff);
            assertTrue(maxDiff <= 1e-4, c + ": max logit difference " + maxDiff);
        }
    }

    /** Q8_0, F16 and BF16 matrices kept as stored give the logits of the same weights decoded to an F32 file. */
    @Test
    void quantizedMatricesComputeWhatTheirDequantizedWeightsWould() throws Exception {
        for (GgmlType type : new GgmlType[] {GgmlType.Q8_0, GgmlType.F16, GgmlType.BF16}) {
            quantizedMatricesComputeWhatTheirDequantizedWeightsWould(type);
        }
    }

    private void quantizedMatricesComputeWhatTheirDequantizedWeightsWould(GgmlType type) throws Exception {
        for (MlpMemoryConfig c : new MlpMemoryConfig[] {MlpMemoryConfig.gpt2(64, 2, 1100, HOST, "t"),
                new MlpMemoryConfig(MlpMemoryConfig.Flavour.LLAMA, 96, 1, 160, 1100, 1e-6f, HOST, "t", 0.25f, 1f)}) {
            Path q8 = dir.resolve(type + "-" + c.flavour() + ".gguf");
            Path f32 = storedAndDecoded(c, type, q8);
            MlpMemory quantized = MlpMemory.open(q8, 2, MlpMemory.Engine.JAVA);
            MlpMemory dequantized = MlpMemory.open(f32, 1, MlpMemory.Engine.JAVA);
            assertTrue(quantized.weightBytes() * (type == GgmlType.Q8_0 ? 3 : 1.9) < dequantized.weightBytes(),
                    type + " stays as stored: " + quantized.weightBytes() + " vs " + dequantized.weightBytes());
            Random random = new Random(3);
            float[] key = new float[c.inputWidth()];
            for (int i = 0; i < key.length; i++) {
                key[i] = (float) random.nextGaussian();
            }
            float[] a = new float[c.vocab()];
            float[] b = new float[c.vocab()];
            quantized.logits(key, 0, a);
            dequantized.logits(key, 0, b);
            double maxDiff = 0;
            for (int i = 0; i < a.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            }
            System.out.printf("MLP memory %s %s in place vs decoded to F32: max logit diff %.2e%n", c.flavour(), type,
                    maxDiff);
            assertTrue(maxDiff <= 1e-4, c.flavour() + " " + type + ": " + maxDiff);
            // Batched rows of the stored type (split across 2 threads) give the single-row logits bit for bit.
            float[] twice = new float[2 * c.inputWidth()];
            System.arraycopy(key, 0, twice, 0, key.length);
            System.arraycopy(key, 0, twice, key.length, key.length);
            float[] batched = new float[2 * c.vocab()];
            quantized.logits(twice, 0, 2, batched);
            org.junit.jupiter.api.Assertions.assertArrayEquals(a, java.util.Arrays.copyOfRange(batched, 0, c.vocab()));
            org.junit.jupiter.api.Assertions.assertArrayEquals(a, java.util.Arrays.copyOfRange(batched, c.vocab(),
                    2 * c.vocab()));
        }
    }

    /**
     * Writes random weights of {@code c} stored as {@code type} to {@code stored}, and the same weights decoded to F32
     * next to it; returns the decoded file.
     */
    static Path storedAndDecoded(MlpMemoryConfig c, GgmlType type, Path stored) throws java.io.IOException {
        MlpMemoryGguf.write(c, new RandomMlpWeights(c, 2), type, Map.of(), stored);
        Path f32 = stored.resolveSibling("decoded-" + stored.getFileName());
        try (GgufFile f = GgufFile.open(stored)) {
            MlpMemoryGguf.write(c, name -> f.floats(f.tensor(name).orElseThrow()), GgmlType.F32, Map.of(), f32);
        }
        return f32;
    }

    @Test
    void aHostOfAnotherShapeIsRefusedNamingTheDifference() throws Exception {
        MlpMemoryConfig c = MlpMemoryConfig.gpt2(64, 1, 100, new MlpMemoryConfig.Host("gpt2", 64, "ffn_norm-1", "aa"),
                "tok");
        Path file = dir.resolve("m.gguf");
        MlpMemoryGguf.write(c, new RandomMlpWeights(c, 1), GgmlType.Q8_0, Map.of(), file);
        MlpMemory m = MlpMemory.open(file);
        assertTrue(m.checkHost("gpt2", 64, "tok", "aa").isEmpty());
        assertTrue(m.checkHost("gpt2", 64, "tok", null).isEmpty());
        assertTrue(m.checkHost("gpt2", 64, "tok", "bb").orElseThrow().contains("trained on host file sha256 aa"));
        IllegalArgumentException arch = assertThrows(IllegalArgumentException.class,
                () -> m.checkHost("llama", 64, "tok", null));
        assertTrue(arch.getMessage().contains("reads a gpt2 host's hidden state, but the host is llama"), arch.getMessage());
        IllegalArgumentException width = assertThrows(IllegalArgumentException.class,
                () -> m.checkHost("gpt2", 128, "tok", null));
        assertTrue(width.getMessage().contains("64-wide hidden states"), width.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.checkHost("gpt2", 64, "other", null));
        Path missing = dir.resolve("none.gguf");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MlpMemory.open(missing)).getMessage()
                .contains("not found"));
    }
}

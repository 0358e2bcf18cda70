package dev.memdec.plugin.mlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.converter.mlp.MlpMemoryGguf;
import dev.memdec.converter.mlp.RandomMlpWeights;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ggml engine (the MLP memory's forward as a graph on the llama.cpp runtime's CPU backend) against the
 * definition and against the Java engine: F32 weights to float rounding, single rows and batches, one thread and
 * three (a memory large enough to be split); stored F16, BF16, Q8_0 and Q4_0 weights within what rounding the
 * activations to the weights' type costs.
 */
class GgmlMlpTest {

    @TempDir
    Path dir;

    private static final MlpMemoryConfig.Host HOST = new MlpMemoryConfig.Host("gpt2", 64, "ffn_norm-1", "aa");

    private static final MlpMemoryConfig[] CONFIGS = {MlpMemoryConfig.gpt2(64, 3, 1100, HOST, "t"),
        MlpMemoryConfig.gpt2(32, 2, 1100, HOST, "t"),
        new MlpMemoryConfig(MlpMemoryConfig.Flavour.LLAMA, 64, 2, 96, 1100, 1e-6f, HOST, "t", 0.25f, 1f),
        new MlpMemoryConfig(MlpMemoryConfig.Flavour.LLAMA, 96, 2, 160, 1100, 1e-6f, HOST, "t", 0.25f, 1f)};

    private static float[] keys(int rows, int width, long seed) {
        Random random = new Random(seed);
        float[] k = new float[rows * width];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) (random.nextGaussian() * 2);
        }
        return k;
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void f32LogitsMatchTheDefinitionAndTheJavaEngineForEveryShapeBatchAndThreadCount() throws Exception {
        for (MlpMemoryConfig c : CONFIGS) {
            RandomMlpWeights w = new RandomMlpWeights(c, 9);
            Path file = dir.resolve(c.flavour() + "-" + c.width() + ".gguf");
            MlpMemoryGguf.write(c, w, GgmlType.F32, Map.of(), file);
            MlpMemory ggml = MlpMemory.open(file, 1, MlpMemory.Engine.GGML);
            MlpMemory java = MlpMemory.open(file, 1, MlpMemory.Engine.JAVA);
            assertEquals(MlpMemory.Engine.GGML, ggml.engine());
            assertTrue(ggml.kernel().startsWith("ggml"), ggml.kernel());
            assertEquals(java.weightBytes(), ggml.weightBytes(), "F32 weights are held as F32 by both engines");
            int rows = 5;
            float[] keys = keys(rows, c.inputWidth(), 11);
            float[] single = new float[rows * c.vocab()];
            float[] one = new float[c.vocab()];
            double vsReference = 0;
            for (int r = 0; r < rows; r++) {
                ggml.logits(keys, r * c.inputWidth(), one);
                System.arraycopy(one, 0, single, r * c.vocab(), c.vocab());
                double[] ref = MlpMemoryTest.reference(c, w,
                        Arrays.copyOfRange(keys, r * c.inputWidth(), (r + 1) * c.inputWidth()));
                for (int i = 0; i < ref.length; i++) {
                    vsReference = Math.max(vsReference, Math.abs(ref[i] - one[i]));
                }
            }
            float[] javaLogits = new float[rows * c.vocab()];
            java.logits(keys, 0, rows, javaLogits);
            float[] batched = new float[rows * c.vocab()];
            ggml.logits(keys, 0, rows, batched);
            double scale = Math.max(1, maxAbs(javaLogits));
            System.out.printf("ggml MLP %s %dx%d F32: |ggml - reference| %.2e, |ggml - java| %.2e, batch vs rows %.2e"
                    + " (max |logit| %.1f)%n", c.flavour(), c.blocks(), c.width(), vsReference,
                    maxDiff(single, javaLogits), maxDiff(batched, single), scale);
            assertTrue(vsReference <= 1e-4 * scale, c + ": vs the definition " + vsReference);
            assertTrue(maxDiff(single, javaLogits) <= 1e-4 * scale, c + ": vs the Java engine");
            assertTrue(maxDiff(batched, single) <= 1e-4 * scale, c + ": a batch vs its rows one at a time");
            // Graphs of several batch sizes, evicted and rebuilt, keep giving the same logits.
            for (int n : new int[] {2, 3, 4, 1, 5}) {
                float[] part = new float[n * c.vocab()];
                ggml.logits(keys, 0, n, part);
                assertTrue(maxDiff(part, Arrays.copyOf(batched, n * c.vocab())) <= 1e-4 * scale, n + " rows");
            }
        }
    }

    /** A memory above the one-thread size splits its products across 3 threads and gives the 1-thread logits. */
    @Test
    void threadsSplitALargeMemoryAndGiveTheSameLogits() throws Exception {
        MlpMemoryConfig c = MlpMemoryConfig.gpt2(64, 2, 20_000, HOST, "t");
        Path file = dir.resolve("large.gguf");
        MlpMemoryGguf.write(c, new RandomMlpWeights(c, 4), GgmlType.F32, Map.of(), file);
        MlpMemory one = MlpMemory.open(file, 1, MlpMemory.Engine.GGML);
        MlpMemory three = MlpMemory.open(file, 3, MlpMemory.Engine.GGML);
        assertTrue(one.weightBytes() > GgmlMlp.ONE_THREAD_BYTES, "the memory must be large enough to be split");
        float[] keys = keys(4, c.inputWidth(), 8);
        float[] a = new float[4 * c.vocab()];
        float[] b = new float[4 * c.vocab()];
        for (int rows : new int[] {1, 4}) {
            one.logits(keys, 0, rows, a);
            three.logits(keys, 0, rows, b);
            double d = maxDiff(Arrays.copyOf(a, rows * c.vocab()), Arrays.copyOf(b, rows * c.vocab()));
            System.out.printf("ggml MLP %d rows, 3 threads vs 1: %.2e%n", rows, d);
            assertTrue(d <= 1e-4 * Math.max(1, maxAbs(a)), rows + " rows: " + d);
        }
    }

    /**
     * Stored types run as stored (F16, BF16, Q8_0 and now Q4_0, which the Java engine decodes to F32): the logits
     * are those of the same weights decoded to an F32 file, up to ggml rounding the activations to the weights' type
     * before each product (as llama.cpp does for a host): a small fraction of the logits' range.
     */
    @Test
    void storedTypesStayAsStoredAndComputeWhatTheirDecodedWeightsWould() throws Exception {
        Map<GgmlType, Double> tolerance = Map.of(GgmlType.F16, 1e-3, GgmlType.BF16, 1e-2, GgmlType.Q8_0, 2e-2,
                GgmlType.Q4_0, 2e-2);
        for (GgmlType type : new GgmlType[] {GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0}) {
            for (MlpMemoryConfig c : new MlpMemoryConfig[] {CONFIGS[0], CONFIGS[3]}) {
                Path stored = dir.resolve(type + "-" + c.flavour() + ".gguf");
                Path f32 = MlpMemoryTest.storedAndDecoded(c, type, stored);
                MlpMemory ggml = MlpMemory.open(stored, 2, MlpMemory.Engine.GGML);
                MlpMemory decoded = MlpMemory.open(f32, 1, MlpMemory.Engine.JAVA);
                double ratio = (double) decoded.weightBytes() / ggml.weightBytes();
                assertTrue(ratio > (type == GgmlType.Q4_0 ? 4 : type == GgmlType.Q8_0 ? 3 : 1.9),
                        type + " is held as stored: " + ggml.weightBytes() + " vs " + decoded.weightBytes());
                int rows = 3;
                float[] keys = keys(rows, c.inputWidth(), 5);
                float[] a = new float[rows * c.vocab()];
                float[] b = new float[rows * c.vocab()];
                ggml.logits(keys, 0, rows, a);
                decoded.logits(keys, 0, rows, b);
                double range = maxAbs(b);
                double d = maxDiff(a, b);
                System.out.printf("ggml MLP %s %s as stored vs decoded to F32: max logit diff %.2e of range %.2f (%.2e)%n",
                        c.flavour(), type, d, range, d / range);
                assertTrue(d <= tolerance.get(type) * range, c.flavour() + " " + type + ": " + d + " of " + range);
            }
        }
    }

    @Test
    void engineNamesParseAndAnythingElseIsRefusedNamingTheFlag() {
        assertEquals(MlpMemory.Engine.GGML, MlpMemory.Engine.parse("ggml"));
        assertEquals(MlpMemory.Engine.JAVA, MlpMemory.Engine.parse("JAVA"));
        assertEquals(MlpMemory.Engine.GGML, MlpMemory.Engine.GGML.resolve());
        assertEquals(dev.memdec.natives.llama.RuntimeProfile.selected() == dev.memdec.natives.llama.RuntimeProfile.V0_5_0
                ? MlpMemory.Engine.GGML : MlpMemory.Engine.JAVA, MlpMemory.Engine.parse("auto").resolve());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MlpMemory.Engine.parse("cuda"));
        assertEquals("--mlp-engine must be auto, ggml or java, got 'cuda'", e.getMessage());
    }
}

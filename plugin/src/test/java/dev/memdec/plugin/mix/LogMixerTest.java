package dev.memdec.plugin.mix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.plugin.parallel.WorkerTeam;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogMixerTest {

    private static final int V = 50257;

    /** The formula of reference-spec §7.1 in double precision, straight from its definition. */
    private static double[] referenceLogProbs(float[] host, float[] mem, int n, double lambda, double temp) {
        double[] ph = softmax(host, n, 1.0);
        double[] pm = softmax(mem, n, 1.0 / temp);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = Math.log((1 - lambda) * ph[i] + lambda * pm[i]);
        }
        return out;
    }

    private static double[] softmax(float[] z, int n, double scale) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, z[i] * scale);
        }
        double sum = 0;
        double[] p = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(z[i] * scale - max);
            sum += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private static float[] logits(long seed, int n, double sigma) {
        Random r = new Random(seed);
        float[] z = new float[n];
        for (int i = 0; i < n; i++) {
            z[i] = (float) (r.nextGaussian() * sigma - 3);
        }
        return z;
    }

    @Test
    void mixedDistributionMatchesTheFormula() {
        float[] host = logits(1, V, 4);
        float[] mem = logits(2, V, 6);
        // A peaked memory: one token dominates, as a trained memory often does.
        mem[123] = 40f;
        LogMixer mixer = new LogMixer();
        float[] out = new float[V];
        for (double lambda : new double[] {0, 1e-6, 0.25, 0.55, 0.999, 1}) {
            for (double temp : new double[] {0.5, 1, 2}) {
                mixer.mix(host, mem, V, new Mixing(lambda, temp), out);
                double[] ref = referenceLogProbs(host, mem, V, lambda, temp);
                double maxProbError = 0;
                double maxLogError = 0;
                double total = 0;
                for (int i = 0; i < V; i++) {
                    maxProbError = Math.max(maxProbError, Math.abs(Math.exp(out[i]) - Math.exp(ref[i])));
                    if (ref[i] > -30) {
                        maxLogError = Math.max(maxLogError, Math.abs(out[i] - ref[i]));
                    }
                    total += Math.exp(out[i]);
                }
                String at = "lambda " + lambda + ", T " + temp;
                assertTrue(maxProbError <= 1e-5, at + ": max probability error " + maxProbError);
                assertTrue(maxLogError <= 1e-4, at + ": max log-probability error " + maxLogError);
                assertEquals(1.0, total, 1e-4, at + ": probabilities sum");
            }
        }
    }

    @Test
    void lambdaZeroIsTheHostAndLambdaOneTheMemory() {
        float[] host = logits(3, V, 3);
        float[] mem = logits(4, V, 3);
        LogMixer mixer = new LogMixer();
        float[] out = new float[V];
        mixer.mix(host, mem, V, Mixing.of(0), out);
        double lse = mixer.logSumExp(host, 1f, V);
        for (int i = 0; i < V; i++) {
            assertEquals(host[i] - (float) lse, out[i], 0f, "token " + i);
        }
        assertEquals(argmax(host), argmax(out));
        // λ = 0 must not read the memory at all.
        mixer.mix(host, null, V, Mixing.of(0), out);
        assertEquals(argmax(host), argmax(out));

        mixer.mix(host, mem, V, new Mixing(1, 2), out);
        assertEquals(argmax(mem), argmax(out));
        double memLse = mixer.logSumExp(mem, 0.5f, V);
        assertEquals(mem[17] * 0.5 - memLse, out[17], 1e-5);
        for (float v : out) {
            assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void jointLogProbAgreesWithTheArrayMixer() {
        float[] host = logits(5, 1000, 3);
        float[] mem = logits(6, 1000, 3);
        LogMixer mixer = new LogMixer();
        double lh = mixer.logSumExp(host, 1f, 1000);
        double lm = mixer.logSumExp(mem, 1f / 1.5f, 1000);
        float[] out = new float[1000];
        for (double lambda : new double[] {0, 0.3, 1}) {
            Mixing m = new Mixing(lambda, 1.5);
            mixer.mix(host, mem, 1000, m, out);
            double[] ref = referenceLogProbs(host, mem, 1000, lambda, 1.5);
            for (int t : new int[] {0, 7, 999}) {
                assertEquals(ref[t], LogMixer.jointLogProb(host[t], lh, mem[t], lm, m), 1e-5);
                assertEquals(ref[t], out[t], 1e-4);
            }
        }
    }

    /** log_softmax((1-λ)·z_host + λ·z_mem / T) in double precision. */
    private static double[] referenceBlend(float[] host, float[] mem, int n, double lambda, double temp) {
        double[] z = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            z[i] = (1 - lambda) * host[i] + lambda * mem[i] / temp;
            max = Math.max(max, z[i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(z[i] - max);
        }
        double lse = max + Math.log(sum);
        for (int i = 0; i < n; i++) {
            z[i] -= lse;
        }
        return z;
    }

    @Test
    void logitBlendMatchesItsFormulaAndTheEndsAreTheModelsAlone() {
        float[] host = logits(7, V, 4);
        float[] mem = logits(8, V, 6);
        mem[321] = 40f;
        LogMixer mixer = new LogMixer();
        float[] out = new float[V];
        float[] prob = new float[V];
        for (double lambda : new double[] {0, 1e-6, 0.25, 0.55, 0.999, 1}) {
            for (double temp : new double[] {0.5, 1, 2}) {
                Mixing m = new Mixing(lambda, temp, MixMode.LOGIT);
                mixer.mix(host, mem, V, m, out);
                double[] ref = referenceBlend(host, mem, V, lambda, temp);
                double maxLogError = 0;
                double total = 0;
                for (int i = 0; i < V; i++) {
                    if (ref[i] > -30) {
                        maxLogError = Math.max(maxLogError, Math.abs(out[i] - ref[i]));
                    }
                    total += Math.exp(out[i]);
                }
                String at = "lambda " + lambda + ", T " + temp;
                assertTrue(maxLogError <= 1e-4, at + ": max log-probability error " + maxLogError);
                assertEquals(1.0, total, 1e-4, at + ": probabilities sum");
                if (lambda > 0 && lambda < 1) {
                    for (int t : new int[] {0, 321, V - 1}) {
                        assertEquals(ref[t], mixer.blendLogProb(host, mem, V, t, m), 2e-5, at + ", token " + t);
                    }
                }
                // λ = 0 and λ = 1 give exactly what the probability mixture gives: one model alone.
                if (lambda == 0 || lambda == 1) {
                    mixer.mix(host, mem, V, new Mixing(lambda, temp), prob);
                    for (int i = 0; i < V; i++) {
                        assertEquals(prob[i], out[i], 0f, at + ", token " + i);
                    }
                }
            }
        }
        // The two modes differ in between: the blend is not the mixture.
        mixer.mix(host, mem, V, new Mixing(0.5, 1, MixMode.LOGIT), out);
        mixer.mix(host, mem, V, new Mixing(0.5, 1, MixMode.PROB), prob);
        assertTrue(Math.abs(out[321] - prob[321]) > 0.1, out[321] + " vs " + prob[321]);
    }

    @Test
    void mixModeParsesTheTwoNamesAndNothingElse() {
        assertEquals(MixMode.PROB, MixMode.parse("prob", "--mix"));
        assertEquals(MixMode.LOGIT, MixMode.parse("logit", "--mix"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MixMode.parse("LOGIT", "--mix"));
        assertEquals("--mix must be 'prob' or 'logit', got 'LOGIT'", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MixMode.parse("", "memory.mix"));
        assertThrows(IllegalArgumentException.class, () -> new Mixing(0.5, 1, null));
        assertThrows(IllegalArgumentException.class,
                () -> new LogMixer().blendLogProb(new float[4], new float[4], 4, 0, new Mixing(0.5, 1)));
    }

    @Test
    void aTeamGivesTheCallingThreadsResultBitForBit() {
        // Qwen's vocabulary, one that is no whole number of chunks, one that is; the peaks in different parts.
        for (int n : new int[] {151_669, LogMixer.SPLIT_MIN + 5, 10 * LogMixer.CHUNK}) {
            float[] host = logits(5, n, 4);
            float[] mem = logits(6, n, 6);
            host[n - 3] = 30f;
            mem[n / 2 + 7] = 35f;
            float[] alone = new float[n];
            float[] split = new float[n];
            LogMixer one = new LogMixer();
            for (int threads : new int[] {2, 3}) {
                try (WorkerTeam team = new WorkerTeam(threads, "test-mix")) {
                    LogMixer many = new LogMixer(team);
                    for (Mixing m : new Mixing[] {new Mixing(0.3, 1.25), new Mixing(0.7, 1, MixMode.LOGIT),
                            Mixing.of(0), new Mixing(1, 2)}) {
                        one.mix(host, mem, n, m, alone);
                        many.mix(host, mem, n, m, split);
                        assertArrayEquals(alone, split, n + " entries, " + threads + " threads, " + m);
                    }
                    assertEquals(one.logSumExp(mem, 0.8f, n), many.logSumExp(mem, 0.8f, n), 0.0);
                }
            }
        }
    }

    @Test
    void onlyVocabulariesFromTheThresholdUpAreSplit() {
        WorkerTeam team = new WorkerTeam(2, "test-mix");
        team.close();
        LogMixer mixer = new LogMixer(team);
        int small = LogMixer.SPLIT_MIN - 1;
        float[] out = new float[small];
        mixer.mix(logits(7, small, 3), logits(8, small, 3), small, Mixing.of(0.4), out); // the caller alone
        assertTrue(Float.isFinite(out[0]));
        int large = LogMixer.SPLIT_MIN;
        assertThrows(IllegalStateException.class, () -> mixer.mix(logits(7, large, 3), logits(8, large, 3), large,
                Mixing.of(0.4), new float[large]), "a large vocabulary goes to the (closed) team");
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> Mixing.of(-0.1));
        assertThrows(IllegalArgumentException.class, () -> Mixing.of(1.5));
        assertThrows(IllegalArgumentException.class, () -> Mixing.of(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new Mixing(0.5, 0));
        assertThrows(IllegalArgumentException.class, () -> new Mixing(0.5, -1));
        LogMixer mixer = new LogMixer();
        assertThrows(IllegalArgumentException.class,
                () -> mixer.mix(new float[10], new float[5], 10, Mixing.of(0.5), new float[10]));
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }
}

package dev.memdec.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** KL(ref‖test) between tiny GPT-2 models: the same weights stored as F32, Q8_0 and Q4_0. */
class LogitComparisonTest {

    static final int CTX = 64;
    static final String TEXT = "It was the best of times, it was the worst of times, it was the age of wisdom, "
            + "it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity. ";

    @TempDir
    static Path dir;
    static Path f32;
    static Path q8;
    static Path q4;

    @BeforeAll
    static void models() throws Exception {
        Gpt2Config c = Gpt2Config.of(2, 64, 2, CTX, Gpt2Tokenizer.VOCAB_SIZE);
        f32 = dir.resolve("f32.gguf");
        q8 = dir.resolve("q8_0.gguf");
        q4 = dir.resolve("q4_0.gguf");
        for (var e : Map.of(f32, GgmlType.F32, q8, GgmlType.Q8_0, q4, GgmlType.Q4_0).entrySet()) {
            Gpt2GgufExporter.write(c, new RandomGpt2Weights(c, 7), Gpt2Tokenizer.vocabulary(), e.getValue(), Map.of(),
                    e.getKey());
        }
    }

    static RuntimeOptions options() {
        return RuntimeOptions.defaults().withThreads(1).withBatchSize(32);
    }

    static LogitComparison.Report compare(Path ref, Path test, String text, int window, int stride) throws Exception {
        return LogitComparison.compare(ref, test, text, window, stride, 0, options(), null);
    }

    @Test
    void aModelAgainstItselfHasZeroKlAndTheSameTopTokenEverywhere() throws Exception {
        LogitComparison.Report r = compare(f32, f32, TEXT.repeat(3), 32, 16);
        assertTrue(r.tokens() > 60, "tokens " + r.tokens());
        assertTrue(r.windows() > 3, "windows " + r.windows());
        assertEquals(0.0, r.meanKl());
        assertEquals(0.0, r.maxKl());
        assertEquals(0.0, r.p99Kl());
        assertEquals(1.0, r.sameTopRate());
        assertEquals(r.refNll(), r.testNll());
        assertEquals(1.0, r.pplRatio());
    }

    @Test
    void q4HasMoreKlThanQ8AndRefPerplexityMatchesTheHostPerplexity() throws Exception {
        String text = TEXT.repeat(3);
        LogitComparison.Report vsQ8 = compare(f32, q8, text, 32, 16);
        LogitComparison.Report vsQ4 = compare(f32, q4, text, 32, 16);
        assertTrue(vsQ8.meanKl() > 0, "KL(F32||Q8_0) " + vsQ8.meanKl());
        assertTrue(vsQ8.meanKl() < 1e-2, "KL(F32||Q8_0) " + vsQ8.meanKl());
        assertTrue(vsQ4.meanKl() > vsQ8.meanKl(), "KL Q4_0 " + vsQ4.meanKl() + " vs Q8_0 " + vsQ8.meanKl());
        assertTrue(vsQ8.maxKl() >= vsQ8.p99Kl() && vsQ8.p99Kl() > 0);
        assertTrue(vsQ8.klStdError() > 0 && vsQ8.klStdError() < vsQ8.meanKl());
        assertEquals(vsQ8.refNll(), vsQ4.refNll(), 1e-9, "the reference side does not depend on the test model");

        try (HostModel host = HostModel.open(f32, options().withContextSize(32))) {
            PerplexityReport ppl = host.perplexity(text, 32, 16, List.of(), 1.0, null);
            assertEquals(ppl.tokens(), vsQ8.tokens());
            // The perplexity path sums its log-softmax normalizer in float, this one in double.
            assertEquals(ppl.hostPpl(), vsQ8.refPpl(), 1e-6 * ppl.hostPpl());
        }
    }

    @Test
    void klEqualsAPlainComputationFromLogitsReadSeparately() throws Exception {
        // One window (stride = ctx = the whole text): positions 0..n-2 predict tokens 1..n-1.
        String text = "The quick brown fox jumps over the lazy dog and runs far away into the dark wood.";
        int[] tokens;
        float[][] ref;
        float[][] test;
        try (LlamaModel a = LlamaModel.load(f32, ModelOptions.defaults());
             LlamaModel b = LlamaModel.load(q4, ModelOptions.defaults())) {
            tokens = a.vocab().tokenize(text, false, false);
            ref = allLogits(a, tokens);
            test = allLogits(b, tokens);
        }
        int n = tokens.length - 1;
        double sumKl = 0;
        double maxKl = 0;
        int sameTop = 0;
        double refNll = 0;
        double testNll = 0;
        for (int p = 0; p < n; p++) {
            double[] pr = softmax(ref[p]);
            double[] q = softmax(test[p]);
            double kl = 0;
            for (int i = 0; i < pr.length; i++) {
                kl += pr[i] * Math.log(pr[i] / q[i]);
            }
            sumKl += kl;
            maxKl = Math.max(maxKl, kl);
            sameTop += argmax(pr) == argmax(q) ? 1 : 0;
            refNll -= Math.log(pr[tokens[p + 1]]);
            testNll -= Math.log(q[tokens[p + 1]]);
        }
        LogitComparison.Report r = compare(f32, q4, text, tokens.length, tokens.length);
        assertEquals(n, r.tokens());
        assertEquals(1, r.windows());
        assertEquals(sumKl / n, r.meanKl(), 1e-6 * sumKl / n);
        assertEquals(maxKl, r.maxKl(), 1e-6 * maxKl);
        assertEquals((double) sameTop / n, r.sameTopRate());
        assertEquals(refNll, r.refNll(), 1e-9 * refNll);
        assertEquals(testNll, r.testNll(), 1e-9 * testNll);
    }

    private static float[][] allLogits(LlamaModel m, int[] tokens) {
        try (LlamaContext ctx = LlamaContext.create(m, ContextOptions.defaults().withNCtx(CTX).withBatch(32, 32)
                .withThreads(1, 1))) {
            ctx.decode(tokens, 0, true);
            float[][] rows = new float[tokens.length][];
            for (int i = 0; i < tokens.length; i++) {
                rows[i] = ctx.logits(i);
            }
            return rows;
        }
    }

    private static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double[] p = new double[logits.length];
        double z = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            z += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= z;
        }
        return p;
    }

    private static int argmax(double[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void badInputIsAClearError() {
        Path missing = dir.resolve("none.gguf");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> compare(f32, missing, TEXT, 32, 16));
        assertTrue(e.getMessage().contains("--test") && e.getMessage().contains("none.gguf"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> compare(f32, q8, TEXT, CTX + 1, 16));
        assertTrue(e.getMessage().contains("--ctx " + (CTX + 1)) && e.getMessage().contains("training context " + CTX),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> compare(f32, q8, TEXT, 1, 1));
        assertTrue(e.getMessage().contains("--ctx must be >= 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> compare(f32, q8, TEXT, 32, 33));
        assertTrue(e.getMessage().contains("--stride"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> compare(TestModels.host(), TestModels.memoryWithOtherVocab(), TEXT, 32, 16));
        assertTrue(e.getMessage().contains("does not share the tokenizer")
                && e.getMessage().contains("id " + TestModels.CHANGED_TOKEN), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> compare(f32, q8, "Hi", 32, 16));
        assertTrue(e.getMessage().contains("at least 2"), e.getMessage());
    }
}

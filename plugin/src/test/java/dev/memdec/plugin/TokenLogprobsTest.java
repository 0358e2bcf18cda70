package dev.memdec.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.plugin.mix.Mixing;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-token log-probabilities from the runtime on tiny random GPT-2 models, checked against a plain-Java
 * log-softmax (and mix) of logits decoded separately by each model alone.
 */
class TokenLogprobsTest {

    private static final String PROMPT = "The quick brown fox jumps over the lazy dog. It was";
    private static final int STEPS = 5;
    private static final int TOP = 7;

    private static JointModels models;

    @BeforeAll
    static void open() throws Exception {
        models = JointModels.open();
    }

    @AfterAll
    static void close() {
        models.close();
    }

    private static List<GeneratedToken> generate(HostModel model, GenerationRequest request) {
        List<GeneratedToken> tokens = new ArrayList<>();
        try (Generation g = model.generate(request)) {
            g.forEachRemaining(tokens::add);
        }
        return tokens;
    }

    /** The logits {@code model} gives for the next token after {@code tokens}, decoded from an empty cache. */
    private static double[] nextLogits(HostModel model, int[] tokens) {
        return InferenceThread.call(() -> {
            JointDecoder d = model.decoder();
            d.clear();
            d.prefill(tokens);
            float[] logits = new float[TestModels.HOST.vocab()];
            d.hostLogits(-1, logits);
            d.clear();
            double[] out = new double[logits.length];
            for (int i = 0; i < logits.length; i++) {
                out[i] = logits[i];
            }
            return out;
        });
    }

    private static double[] logSoftmax(double[] z, double scale) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v * scale);
        }
        double sum = 0;
        for (double v : z) {
            sum += Math.exp(v * scale - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = z[i] * scale - lse;
        }
        return out;
    }

    /** log((1-λ) p_host + λ p_mem(T)), the formula of reference-spec §7.1, in doubles. */
    private static double[] mixed(double[] host, double[] mem, Mixing m) {
        double[] h = logSoftmax(host, 1);
        double[] g = logSoftmax(mem, 1 / m.memoryTemperature());
        double[] out = new double[h.length];
        for (int i = 0; i < h.length; i++) {
            out[i] = Math.log((1 - m.lambda()) * Math.exp(h[i]) + m.lambda() * Math.exp(g[i]));
        }
        return out;
    }

    /** Checks every step's logprobs against {@code expected(prefix)} and the shape of the top list. */
    private static void check(HostModel model, GenerationRequest request,
            java.util.function.Function<int[], double[]> expected) {
        List<GeneratedToken> tokens = generate(model, request.withMaxTokens(STEPS).withTopLogprobs(TOP));
        assertEquals(STEPS, tokens.size());
        int[] prefix = model.tokenize(request.prompt());
        for (int step = 0; step < tokens.size(); step++) {
            GeneratedToken t = tokens.get(step);
            TokenLogprobs lp = t.logprobs().orElseThrow();
            assertEquals(TOP, lp.top().size());
            for (int i = 1; i < lp.top().size(); i++) {
                assertTrue(lp.top().get(i - 1).logprob() >= lp.top().get(i).logprob(), "sorted descending: " + lp);
            }
            assertEquals(t.id(), lp.top().getFirst().token(), "greedy picks the most likely token");
            assertEquals(lp.top().getFirst().logprob(), lp.logprob(), 0.0);
            double[] want = expected.apply(prefix);
            assertEquals(want[t.id()], lp.logprob(), 1e-4, "chosen token at step " + step);
            for (TokenLogprobs.Candidate c : lp.top()) {
                assertEquals(want[c.token()], c.logprob(), 1e-4, "candidate " + c.token() + " at step " + step);
            }
            int[] next = java.util.Arrays.copyOf(prefix, prefix.length + 1);
            next[prefix.length] = t.id();
            prefix = next;
        }
    }

    @Test
    void theMixedDistributionIsReportedWhenAMemoryIsAttached() {
        Mixing m = new Mixing(0.4, 0.7);
        check(models.joint(), GenerationRequest.of(PROMPT).withMixing(m),
                prefix -> mixed(nextLogits(models.hostAlone(), prefix), nextLogits(models.memoryAlone(), prefix), m));
    }

    @Test
    void lambdaZeroReportsTheHostLogSoftmax() {
        check(models.joint(), GenerationRequest.of(PROMPT).withMixing(Mixing.hostOnly()),
                prefix -> logSoftmax(nextLogits(models.hostAlone(), prefix), 1));
    }

    @Test
    void aHostWithoutMemoryReportsItsLogSoftmax() {
        check(models.hostAlone(), GenerationRequest.of(PROMPT), prefix -> logSoftmax(nextLogits(models.hostAlone(), prefix), 1));
    }

    @Test
    void noLogprobsAreComputedUnlessAsked() {
        List<GeneratedToken> tokens = generate(models.joint(), GenerationRequest.of(PROMPT).withMaxTokens(3));
        assertEquals(3, tokens.size());
        tokens.forEach(t -> assertEquals(Optional.empty(), t.logprobs()));
    }

    @Test
    void sampledTokensCarryTheirPreTemperatureLogprob() {
        Sampling hot = Sampling.defaults().withTemperature(1.5f).withSeed(42);
        for (GeneratedToken t : generate(models.joint(), GenerationRequest.of(PROMPT).withSampling(hot).withMaxTokens(4)
                .withTopLogprobs(0))) {
            TokenLogprobs lp = t.logprobs().orElseThrow();
            assertTrue(lp.top().isEmpty());
            assertTrue(lp.logprob() <= 0 && Double.isFinite(lp.logprob()), "a log-probability: " + lp.logprob());
        }
    }

    @Test
    void outOfRangeCountsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.of(PROMPT).withTopLogprobs(
                GenerationRequest.MAX_TOP_LOGPROBS + 1));
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.of(PROMPT).withTopLogprobs(-2));
    }
}

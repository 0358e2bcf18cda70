package dev.memdec.plugin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.eval.SlidingWindowPerplexity;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.converter.mlp.MlpMemoryGguf;
import dev.memdec.converter.mlp.RandomMlpWeights;
import dev.memdec.converter.eval.SlidingWindows;
import dev.memdec.natives.llama.JavaSampler;
import dev.memdec.natives.llama.SamplerChain;
import dev.memdec.natives.llama.TokenDataArray;
import dev.memdec.plugin.cli.CliRun;
import dev.memdec.plugin.mix.MixMode;
import dev.memdec.plugin.mix.Mixing;
import dev.memdec.plugin.mlp.MlpMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Host + memory in one process on tiny random GPT-2 models: mixing, parity, caches, samplers. */
class JointRuntimeTest {

    private static final String PROMPT = "The quick brown fox jumps over the lazy dog. It was";

    private static JointModels models;

    @BeforeAll
    static void open() throws Exception {
        models = JointModels.open();
    }

    @AfterAll
    static void close() {
        models.close();
    }

    private static int[] greedy(HostModel model, Mixing mixing, String prompt, int n) {
        GenerationRequest r = GenerationRequest.of(prompt).withMaxTokens(n);
        if (mixing != null) {
            r = r.withMixing(mixing);
        }
        GenerationResult result = model.complete(r);
        return result.tokenIds();
    }

    /** Decodes {@code tokens} one by one and returns each step's logits. */
    private static float[][] stepLogits(HostModel model, int[] tokens, boolean memorySide) {
        return InferenceThread.call(() -> {
            JointDecoder d = model.decoder();
            d.clear();
            float[][] out = new float[tokens.length][];
            for (int i = 0; i < tokens.length; i++) {
                d.decode(new int[] {tokens[i]}, new boolean[] {true});
                out[i] = new float[TestModels.HOST.vocab()];
                if (memorySide) {
                    d.memoryLogits(-1, out[i]);
                } else {
                    d.hostLogits(-1, out[i]);
                }
            }
            d.clear();
            return out;
        });
    }

    @Test
    void jointDecodingGivesBitIdenticalLogitsToEachModelAlone() {
        int[] tokens = models.joint().tokenize(PROMPT + " a long way from home, and then");
        float[][] jointHost = stepLogits(models.joint(), tokens, false);
        float[][] jointMem = stepLogits(models.joint(), tokens, true);
        float[][] host = stepLogits(models.hostAlone(), tokens, false);
        float[][] mem = stepLogits(models.memoryAlone(), tokens, false);
        for (int i = 0; i < tokens.length; i++) {
            assertArrayEquals(host[i], jointHost[i], "host logits at step " + i);
            assertArrayEquals(mem[i], jointMem[i], "memory logits at step " + i);
        }
        assertNotEquals(host[0][0], mem[0][0], "host and memory are different models");
    }

    @Test
    void nativeDecodingIsRefusedOutsideTheInferenceThread() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> models.joint().decoder().decode(new int[] {1}, new boolean[] {true}));
        assertTrue(e.getMessage().contains("inference thread"), e.getMessage());
    }

    @Test
    void memorySamplerWritesTheMixedDistributionForTheSamplersAfterIt() {
        for (MixMode mode : MixMode.values()) {
            samplerWritesTheMixedDistribution(new Mixing(0.4, 0.7, mode));
        }
    }

    private static void samplerWritesTheMixedDistribution(Mixing mixing) {
        int[] tokens = models.joint().tokenize(PROMPT);
        float[][] host = stepLogits(models.hostAlone(), tokens, false);
        float[][] mem = stepLogits(models.memoryAlone(), tokens, false);
        float[] seen = new float[TestModels.HOST.vocab()];
        JavaSampler capture = new JavaSampler() {
            @Override
            public void apply(TokenDataArray c) {
                for (int i = 0; i < c.size(); i++) {
                    seen[c.id(i)] = c.logit(i);
                }
            }
        };
        InferenceThread.run(() -> {
            JointDecoder d = models.joint().decoder();
            d.clear();
            d.prefill(tokens);
            MemorySampler sampler = new MemorySampler(seen.length, seen.length, mixing, null);
            float[] memLogits = new float[seen.length];
            d.memoryLogits(-1, memLogits);
            sampler.offerMemoryLogits(memLogits);
            try (SamplerChain chain = SamplerChain.builder().custom(sampler).custom(capture).greedy().build()) {
                chain.sample(d.hostContext(), -1);
            }
            d.clear();
        });
        double[] expected = jointLogProbs(host[tokens.length - 1], mem[tokens.length - 1], mixing);
        double[] mixed = softmax(seen, 1);
        double maxError = 0;
        for (int i = 0; i < seen.length; i++) {
            maxError = Math.max(maxError, Math.abs(Math.exp(expected[i]) - mixed[i]));
            assertEquals(expected[i], seen[i], 1e-4, mixing + ": log-probability of token " + i);
        }
        assertTrue(maxError <= 1e-5, mixing + ": max probability error " + maxError);
    }

    /**
     * The joint log-probabilities straight from the definitions, in double: log((1-λ)·p_host + λ·p_mem) or
     * log_softmax((1-λ)·z_host + λ·z_mem / T).
     */
    private static double[] jointLogProbs(float[] host, float[] mem, Mixing m) {
        double l = m.lambda();
        double[] out = new double[host.length];
        if (m.mode() == MixMode.PROB) {
            double[] ph = softmax(host, 1);
            double[] pm = softmax(mem, 1 / m.memoryTemperature());
            for (int i = 0; i < out.length; i++) {
                out[i] = Math.log((1 - l) * ph[i] + l * pm[i]);
            }
            return out;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < out.length; i++) {
            out[i] = (1 - l) * host[i] + l * mem[i] / m.memoryTemperature();
            max = Math.max(max, out[i]);
        }
        double sum = 0;
        for (double z : out) {
            sum += Math.exp(z - max);
        }
        double lse = max + Math.log(sum);
        for (int i = 0; i < out.length; i++) {
            out[i] -= lse;
        }
        return out;
    }

    /**
     * The CLI's joint perplexity (one decode, every λ from it) against the formula over separately decoded host and
     * memory logits, in both mix modes; λ = 0 is the host's perplexity exactly.
     */
    @Test
    void cliJointPerplexityMatchesTheFormulaInBothMixModes() throws Exception {
        String text = (PROMPT + " ").repeat(12);
        Path file = TestModels.dir().resolve("parity-text.txt");
        Files.writeString(file, text);
        int[] tokens = models.hostAlone().tokenize(text);
        double temp = 0.8;
        for (MixMode mode : MixMode.values()) {
            CliRun r = CliRun.succeed("perplexity", "--host", TestModels.host().toString(), "--memory",
                    TestModels.memory().toString(), "--lambda-sweep", "0,0.3,0.7,1", "--memory-temp", "" + temp,
                    "--mix", mode.jsonName(), "--text", file.toString(), "--ctx", "64", "--stride", "32", "--threads",
                    "1", "--json");
            JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
            assertEquals(mode.jsonName(), o.get("mix").getAsString());
            assertEquals(tokens.length - 1, o.get("tokens").getAsLong());
            JsonArray joint = o.getAsJsonArray("joint");
            double hostPpl = o.get("host_ppl").getAsDouble();
            assertEquals(hostPpl, joint.get(0).getAsJsonObject().get("ppl").getAsDouble(), 0.0,
                    mode + ": lambda 0 is the host exactly");
            for (int k = 0; k < joint.size(); k++) {
                double lambda = joint.get(k).getAsJsonObject().get("lambda").getAsDouble();
                double cli = joint.get(k).getAsJsonObject().get("ppl").getAsDouble();
                double formula = formulaPerplexity(tokens, 64, 32, new Mixing(lambda, temp, mode));
                System.out.printf("mix %s lambda %.1f: CLI ppl %.6f, formula %.6f, relative difference %.2e%n",
                        mode.jsonName(), lambda, cli, formula, Math.abs(cli - formula) / formula);
                assertTrue(Math.abs(cli - formula) <= 1e-5 * formula,
                        mode + " lambda " + lambda + ": CLI " + cli + " vs formula " + formula);
            }
        }
    }

    /**
     * An MLP memory through the CLI: its joint perplexity (key captured from the host's own decode, MLP run in the
     * sampler's place) against the formula over the host's logits and the MLP run apart on keys captured by another
     * host instance; λ = 0 is the host exactly; a memory trained for a host of another width is refused.
     */
    @Test
    void cliPerplexityWithAnMlpMemoryMatchesTheFormula() throws Exception {
        String key = dev.memdec.natives.llama.LlamaContext.ffnInput(TestModels.HOST.layers() - 1);
        MlpMemoryConfig config = MlpMemoryConfig.gpt2(32, 2, TestModels.HOST.vocab(),
                new MlpMemoryConfig.Host("gpt2", TestModels.HOST.embd(), key, ""),
                dev.memdec.converter.tokenizer.Gpt2Tokenizer.vocabulary().sha256());
        Path file = TestModels.dir().resolve("mlp-memory.gguf");
        MlpMemoryGguf.write(config, new RandomMlpWeights(config, 4), GgmlType.F32, Map.of(), file);
        String text = (PROMPT + " ").repeat(12);
        Path textFile = TestModels.dir().resolve("mlp-text.txt");
        Files.writeString(textFile, text);
        int[] tokens = models.hostAlone().tokenize(text);
        MlpMemory mlp = MlpMemory.open(file);
        try (HostModel keyHost = HostModel.open(TestModels.host(), TestModels.options(), null, MlpMemory.open(file))) {
            List<SlidingWindows.Window> windows = SlidingWindows.of(tokens.length, 64, 32);
            for (MixMode mode : MixMode.values()) {
                CliRun r = CliRun.succeed("perplexity", "--host", TestModels.host().toString(), "--memory",
                        file.toString(), "--lambda-sweep", "0,0.4,1", "--mix", mode.jsonName(), "--text",
                        textFile.toString(), "--ctx", "64", "--stride", "32", "--threads", "1", "--json");
                JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
                JsonArray joint = o.getAsJsonArray("joint");
                assertEquals(o.get("host_ppl").getAsDouble(), joint.get(0).getAsJsonObject().get("ppl").getAsDouble(), 0.0);
                for (int k = 0; k < joint.size(); k++) {
                    double lambda = joint.get(k).getAsJsonObject().get("lambda").getAsDouble();
                    Mixing m = new Mixing(lambda, 1, mode);
                    double nll = 0;
                    long scored = 0;
                    for (SlidingWindows.Window w : windows) {
                        int[] slice = Arrays.copyOfRange(tokens, w.begin(), w.end());
                        float[][] host = allLogits(models.hostAlone(), slice);
                        float[][] keys = allCaptured(keyHost, slice, key);
                        for (int p = Math.max(w.begin(), w.firstScored() - 1); p + 1 < w.end(); p++) {
                            float[] memLogits = new float[config.vocab()];
                            mlp.logits(keys[p - w.begin()], 0, memLogits);
                            nll -= jointLogProbs(host[p - w.begin()], memLogits, m)[tokens[p + 1]];
                            scored++;
                        }
                    }
                    double formula = Math.exp(nll / scored);
                    double cli = joint.get(k).getAsJsonObject().get("ppl").getAsDouble();
                    System.out.printf("MLP memory, mix %s lambda %.1f: CLI ppl %.6f, formula %.6f, relative difference %.2e%n",
                            mode.jsonName(), lambda, cli, formula, Math.abs(cli - formula) / formula);
                    assertTrue(Math.abs(cli - formula) <= 1e-5 * formula, mode + " " + lambda + ": " + cli + " vs " + formula);
                }
            }
        }
        CliRun generated = CliRun.succeed("generate", "--host", TestModels.host().toString(), "--memory", file.toString(),
                "--prompt", PROMPT, "--max-tokens", "4", "--greedy", "--threads", "1", "--ctx", "64", "--json");
        assertEquals(4, JsonParser.parseString(generated.out()).getAsJsonObject().getAsJsonArray("token_ids").size());

        MlpMemoryConfig narrow = MlpMemoryConfig.gpt2(32, 1, TestModels.HOST.vocab(),
                new MlpMemoryConfig.Host("gpt2", 32, key, ""), "x");
        Path other = TestModels.dir().resolve("mlp-other-host.gguf");
        MlpMemoryGguf.write(narrow, new RandomMlpWeights(narrow, 4), GgmlType.F32, Map.of(), other);
        CliRun refused = CliRun.run("perplexity", "--host", TestModels.host().toString(), "--memory", other.toString(),
                "--text", textFile.toString(), "--ctx", "64", "--threads", "1");
        assertEquals(1, refused.code(), refused.err());
        assertTrue(refused.err().contains("32-wide hidden states (memdec.host.embedding_length), but the host's n_embd is 64"),
                refused.err());
        assertEquals(1, refused.err().strip().lines().count(), refused.err());
    }

    /** Sliding-window perplexity of the joint model from the two models' logits decoded apart. */
    private static double formulaPerplexity(int[] tokens, int window, int stride, Mixing m) {
        double nll = 0;
        long scored = 0;
        for (SlidingWindows.Window w : SlidingWindows.of(tokens.length, window, stride)) {
            int[] slice = Arrays.copyOfRange(tokens, w.begin(), w.end());
            float[][] host = allLogits(models.hostAlone(), slice);
            float[][] mem = allLogits(models.memoryAlone(), slice);
            for (int p = Math.max(w.begin(), w.firstScored() - 1); p + 1 < w.end(); p++) {
                nll -= jointLogProbs(host[p - w.begin()], mem[p - w.begin()], m)[tokens[p + 1]];
                scored++;
            }
        }
        return Math.exp(nll / scored);
    }

    @Test
    void lambdaZeroIsTheHostAloneAndLambdaOneTheMemoryAlone() {
        int[] hostTokens = greedy(models.hostAlone(), null, PROMPT, 24);
        assertArrayEquals(hostTokens, greedy(models.joint(), Mixing.of(0), PROMPT, 24));
        int[] memoryTokens = greedy(models.memoryAlone(), null, PROMPT, 24);
        assertArrayEquals(memoryTokens, greedy(models.joint(), Mixing.of(1), PROMPT, 24));
        assertFalse(Arrays.equals(hostTokens, memoryTokens), "the two models should disagree somewhere");
    }

    @Test
    void cachesStayInStepWhenAPromptReusesAndTrimsTheCache() throws Exception {
        GenerationRequest settings = GenerationRequest.of("").withMaxTokens(20).withMixing(Mixing.of(0.5));
        int[] prompt = models.joint().tokenize(PROMPT);
        int[] first;
        try (Generation g = models.joint().generate(settings.withMaxTokens(60), prompt)) {
            g.forEachRemaining(t -> { });
            first = g.result().tokenIds();
        }
        assertEquals(60, first.length);
        // Continue from a point inside the first generation: the cache keeps the shared prefix, drops the rest.
        int[] resumed = Arrays.copyOf(prompt, prompt.length + 30);
        System.arraycopy(first, 0, resumed, prompt.length, 30);
        GenerationResult reused;
        try (Generation g = models.joint().generate(settings, resumed)) {
            g.forEachRemaining(t -> { });
            reused = g.result();
        }
        assertEquals(1, reused.timings().promptTokens(), "all but the last prompt token come from the cache");
        assertArrayEquals(Arrays.copyOfRange(first, 30, 50), reused.tokenIds(),
                "greedy decoding from a trimmed, reused cache continues the first generation");
        int[] cached = models.joint().cachedTokens();
        int[] expected = Arrays.copyOf(resumed, resumed.length + 19);
        System.arraycopy(reused.tokenIds(), 0, expected, resumed.length, 19);
        assertArrayEquals(expected, cached, "cache = prompt + generated tokens but the last (not decoded yet)");
        // A fresh pair of caches decoding the whole prompt at once gives the same continuation.
        try (HostModel fresh = HostModel.open(TestModels.host(), TestModels.options())) {
            fresh.attach(models.memory());
            try (Generation g = fresh.generate(settings, resumed)) {
                g.forEachRemaining(t -> { });
                assertArrayEquals(reused.tokenIds(), g.result().tokenIds());
            }
            assertArrayEquals(cached, fresh.cachedTokens());
        }
    }

    @Test
    void grammarConstrainsTheMixedOutput() {
        Sampling s = Sampling.defaults().withSeed(7).withTemperature(1.5f).withGrammar("root ::= [ab]+ \"!\"");
        GenerationResult r = models.joint().complete(GenerationRequest.of(PROMPT).withMaxTokens(12)
                .withMixing(Mixing.of(0.5)).withSampling(s));
        assertTrue(r.text().matches("[ab]+!?"), "grammar violated: '" + r.text() + "'");
    }

    @Test
    void builtInSamplersRunOnTheMixtureAndSeedsReproduce() {
        Sampling s = Sampling.defaults().withSeed(123).withTopK(20).withTopP(0.9f).withMinP(0.01f)
                .withRepeatPenalty(1.3f, 32).withTemperature(0.9f);
        GenerationRequest req = GenerationRequest.of(PROMPT).withMaxTokens(16).withMixing(Mixing.of(0.5))
                .withSampling(s);
        assertArrayEquals(models.joint().complete(req).tokenIds(), models.joint().complete(req).tokenIds());
        int banned = greedy(models.joint(), Mixing.of(0.5), PROMPT, 1)[0];
        GenerationResult biased = models.joint().complete(GenerationRequest.of(PROMPT).withMaxTokens(1)
                .withMixing(Mixing.of(0.5))
                .withSampling(Sampling.greedy().withLogitBias(Map.of(banned, Float.NEGATIVE_INFINITY))));
        assertNotEquals(banned, biased.tokenIds()[0], "logit bias after the memory sampler bans the mixed argmax");
    }

    @Test
    void streamingStopsAtStopStringsAndCanBeCancelled() {
        GenerationResult full = models.joint().complete(GenerationRequest.of(PROMPT).withMaxTokens(30)
                .withMixing(Mixing.of(0.5)));
        String text = full.text();
        assertTrue(text.length() > 6, text);
        String stop = text.substring(4, 6);
        GenerationResult stopped = models.joint().complete(GenerationRequest.of(PROMPT).withMaxTokens(30)
                .withMixing(Mixing.of(0.5)).withStop(stop));
        assertEquals(FinishReason.STOP, stopped.finish());
        assertEquals(text.substring(0, text.indexOf(stop)), stopped.text());

        StringBuilder streamed = new StringBuilder();
        try (Generation g = models.joint().generate(GenerationRequest.of(PROMPT).withMaxTokens(30).withMixing(Mixing.of(0.5)))) {
            int n = 0;
            for (GeneratedToken t : g) {
                streamed.append(t.text());
                if (++n == 5) {
                    g.cancel();
                }
            }
            assertEquals(FinishReason.CANCELLED, g.finishReason());
            assertEquals(5, g.result().tokenIds().length);
        }
        assertTrue(text.startsWith(streamed.toString()), "'" + streamed + "' is not a prefix of '" + text + "'");
    }

    @Test
    void contextOverflowEndsGenerationWithConsistentCaches() {
        int promptLength = models.joint().tokenize(PROMPT).length;
        GenerationResult r = models.joint().complete(GenerationRequest.of(PROMPT).withMaxTokens(1000)
                .withMixing(Mixing.of(0.5)));
        assertEquals(FinishReason.CONTEXT_FULL, r.finish());
        assertEquals(TestModels.CTX - promptLength + 1, r.tokenIds().length);
        assertEquals(TestModels.CTX, models.joint().cachedTokens().length);
        String longPrompt = "word ".repeat(TestModels.CTX + 10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> models.joint().generate(GenerationRequest.of(longPrompt)));
        assertTrue(e.getMessage().contains("context"), e.getMessage());
    }

    @Test
    void perplexityEvaluatesEveryLambdaFromOnePass() {
        String text = (PROMPT + " ").repeat(20);
        PerplexityReport r = models.joint().perplexity(text, 64, 32, List.of(0.0, 0.5, 1.0), 1.0, null);
        PerplexityReport hostOnly = models.hostAlone().perplexity(text, 64, 32, List.of(), 1.0, null);
        PerplexityReport memOnly = models.memoryAlone().perplexity(text, 64, 32, List.of(), 1.0, null);
        assertEquals(hostOnly.tokens(), r.tokens());
        assertEquals(models.joint().tokenize(text).length - 1, r.tokens(), "every token but the first is scored once");
        assertEquals(hostOnly.hostPpl(), r.hostPpl(), 1e-9);
        assertEquals(hostOnly.hostPpl(), r.joint().get(0).ppl(), 1e-9);
        assertEquals(memOnly.hostPpl(), r.joint().get(2).ppl(), 1e-6 * memOnly.hostPpl());
        // The converter's reference implementation of §2.3/§7.3 over the same host logits agrees.
        int[] tokens = models.hostAlone().tokenize(text);
        SlidingWindowPerplexity.Result reference = SlidingWindowPerplexity.evaluate(
                window -> allLogits(models.hostAlone(), window), tokens, 64, 32);
        assertEquals(reference.tokens(), hostOnly.tokens());
        assertEquals(reference.nll(), hostOnly.hostNll(), 1e-6 * reference.nll());
        double mid = r.joint().get(1).ppl();
        assertTrue(mid < Math.max(hostOnly.hostPpl(), memOnly.hostPpl()), "mixing is convex in probability");
    }

    /** Every position's logits for one window decoded from an empty cache. */
    private static float[][] allLogits(HostModel model, int[] window) {
        return allRows(model, window, (d, i, chunkLength) -> {
            float[] row = new float[TestModels.HOST.vocab()];
            d.hostLogits(i, row);
            return row;
        });
    }

    /** The rows of a captured host tensor for every position of one window decoded from an empty cache. */
    private static float[][] allCaptured(HostModel model, int[] window, String tensor) {
        return allRows(model, window, (d, i, chunkLength) -> {
            float[] captured = d.hostCaptured(tensor);
            int width = captured.length / chunkLength;
            return Arrays.copyOfRange(captured, i * width, (i + 1) * width);
        });
    }

    /** Reads one row per position of the last decoded chunk (every position is an output). */
    private interface RowReader {
        float[] read(JointDecoder d, int index, int chunkLength);
    }

    /** Decodes one window from an empty cache in batches, every position an output, reading each row. */
    private static float[][] allRows(HostModel model, int[] window, RowReader reader) {
        return InferenceThread.call(() -> {
            JointDecoder d = model.decoder();
            d.clear();
            float[][] rows = new float[window.length][];
            for (int start = 0; start < window.length; start += d.nBatch()) {
                int[] chunk = Arrays.copyOfRange(window, start, Math.min(window.length, start + d.nBatch()));
                boolean[] all = new boolean[chunk.length];
                Arrays.fill(all, true);
                d.decode(chunk, all);
                for (int i = 0; i < chunk.length; i++) {
                    rows[start + i] = reader.read(d, i, chunk.length);
                }
            }
            d.clear();
            return rows;
        });
    }

    private static double[] softmax(float[] z, double scale) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v * scale);
        }
        double sum = 0;
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            p[i] = Math.exp(z[i] * scale - max);
            sum += p[i];
        }
        for (int i = 0; i < z.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}

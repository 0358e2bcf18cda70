package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.family.DecoderGgufWriter;
import dev.memdec.converter.family.RandomDecoderWeights;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.family.gemma3.Gemma3Family;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.hf.HfCheckpoints;
import dev.memdec.converter.hf.RopeDecoderReference;
import dev.memdec.converter.hf.TokenizerJsonFixtures;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.eval.SlidingWindows;
import dev.memdec.natives.llama.CapturedTensor;
import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.KvType;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import dev.memdec.natives.llama.RuntimeProfile;
import dev.memdec.plugin.cli.CliRun;
import dev.memdec.plugin.retrieval.Datastore;
import dev.memdec.plugin.retrieval.FfnNorm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 12 item 3 for the families {@code memdec init} writes beyond gpt2/llama/qwen2, on the profile this run selects
 * (the suite runs on both): the datastore key of qwen3, gemma3 and phi3 hosts — the last block's MLP input after its
 * pre-MLP norm, {@code ffn_norm-<last>} in both llama.cpp graphs — and the logits agree with the independent HF-style
 * Java forward ({@link RopeDecoderReference}) to 1e-4 of their largest magnitude (gemma3: 3e-4 for the whole forward,
 * see {@link #GEMMA3_TOLERANCE}, and 1e-4 for its last block run from llama.cpp's own input); the keys the
 * {@code datastore} command
 * stores are those llama.cpp computes for every position (fp16); and {@code perplexity --knn} retrieves with them. A
 * family the profile cannot load (qwen3 on b4916) is refused by name.
 */
class FamilyKeysE2eTest {

    /** Largest |llama.cpp − reference| allowed, relative to the largest |reference| value (issue 12 item 3). */
    private static final double TOLERANCE = 1e-4;
    /**
     * The same for a whole gemma3 forward: llama.cpp's CPU GELU is a table over f16 inputs, which the reference
     * emulates, but a GELU input within float rounding of an f16 rounding boundary lands on either side: nudging the
     * reference's own GELU inputs by 1e-7 (relative) moves its 6-layer logits by 1.5e-4 and its key by 1.3e-4. The
     * last block alone, from llama.cpp's own input to it, is held to {@link #TOLERANCE}.
     */
    private static final double GEMMA3_TOLERANCE = 3e-4;
    private static final int N = 48;

    @TempDir
    static Path dir;
    static Path bpe;

    @BeforeAll
    static void tokenizer() throws IOException {
        bpe = TokenizerJsonFixtures.byteLevelBpe(dir.resolve("bpe"));
    }

    /** A tiny host made by {@code memdec init}: 2 layers (gemma3: 6, its minimum), 64 wide, 4 heads, 2 KV heads. */
    private static Path init(String arch) {
        Path out = dir.resolve(arch + ".gguf");
        if (!Files.exists(out)) {
            CliRun.succeed("init", "--arch", arch, "--tokenizer-from", bpe.toString(), "--seed", "5", "--ctx", "64",
                    "--layers", arch.equals(Gemma3Family.ARCH) ? Integer.toString(Gemma3Family.MIN_LAYERS) : "2",
                    "--embd", "64", "--heads", "4", "--kv-heads", "2", "--out", out.toString());
        }
        return out;
    }

    /** llama.cpp's logits, keys and the residual stream entering the last block, every position. */
    private record Run(float[][] logits, float[][] keys, float[][] lastBlockInput) {
    }

    /**
     * One decode of {@code tokens}, every row an output, F32 KV cache, capturing {@code ffn_norm-<last>} and
     * {@code l_out-<last - 1>}.
     */
    private static Run llamaCpp(Path file, int[] tokens) throws IOException {
        try (LlamaModel model = LlamaModel.load(file, ModelOptions.defaults())) {
            int last = model.nLayer() - 1;
            String key = LlamaContext.ffnInput(last);
            String input = "l_out-" + (last - 1);
            try (LlamaContext c = LlamaContext.create(model, ContextOptions.defaults().withNCtx(64).withBatch(64, 64)
                    .withKvType(KvType.F32).withThreads(2, 2).withCapture(key, input))) {
                c.decode(tokens, 0, true);
                float[][] logits = new float[tokens.length][];
                float[][] keys = new float[tokens.length][];
                float[][] in = new float[tokens.length][];
                for (int t = 0; t < tokens.length; t++) {
                    logits[t] = c.logits(t);
                    keys[t] = c.captured(key).row(t);
                    in[t] = c.captured(input).row(t);
                }
                return new Run(logits, keys, in);
            }
        }
    }

    /** The HF-style reference on the file's tensors, with GELU as llama.cpp's CPU backend tabulates it. */
    private static RopeDecoderReference reference(RopeDecoderReference.Shape shape, Map<String, float[]> hf) {
        return new RopeDecoderReference(shape, n -> Optional.ofNullable(hf.get(n)),
                RopeDecoderReference.RopePairing.HALF_SPLIT).withLlamaCppCpuGelu();
    }

    private static int[] tokens(int vocab) {
        return new SplittableRandom(11).ints(N, 0, vocab).toArray();
    }

    /**
     * Checks logits and keys against the reference: the whole forward to {@code tolerance}, and the last block run by
     * the reference on llama.cpp's own input to it to {@link #TOLERANCE}.
     */
    private static void compare(String what, Run got, RopeDecoderReference reference, int[] tokens, int layers,
                                double tolerance) {
        RopeDecoderReference.Forward want = reference.forward(tokens);
        RopeDecoderReference.Forward block = reference.forwardFrom(layers - 1, got.lastBlockInput());
        double logits = relativeDiff(got.logits(), want.logits());
        double keys = relativeDiff(got.keys(), want.lastFfnInput());
        double blockLogits = relativeDiff(got.logits(), block.logits());
        double blockKeys = relativeDiff(got.keys(), block.lastFfnInput());
        System.out.printf("%s on %s: max |llama.cpp - HF reference| / max |reference|: logits %.3g (range %.3g), key %.3g"
                + " (range %.3g); last block from llama.cpp's input: logits %.3g, key %.3g%n", what,
                RuntimeProfile.selected(), logits, maxAbs(want.logits()), keys, maxAbs(want.lastFfnInput()), blockLogits,
                blockKeys);
        assertTrue(logits <= tolerance, what + ": logits differ by " + logits);
        assertTrue(keys <= tolerance, what + ": keys differ by " + keys);
        assertTrue(blockLogits <= TOLERANCE, what + ": last block's logits differ by " + blockLogits);
        assertTrue(blockKeys <= TOLERANCE, what + ": last block's keys differ by " + blockKeys);
    }

    private static double relativeDiff(float[][] got, float[][] want) {
        return maxAbsDiff(got, want) / maxAbs(want);
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "gemma3", "phi3"})
    void keyAndLogitsOfAnInitFileMatchTheHfReference(String arch) throws IOException {
        Path host = init(arch);
        RuntimeProfile profile = RuntimeProfile.selected();
        if (!profile.architectures().contains(arch)) {
            CliRun r = CliRun.run("datastore", "--host", host.toString(), "--corpus", host.toString(), "--out",
                    dir.resolve("refused").toString());
            assertEquals(1, r.code(), r.out());
            assertTrue(r.err().contains("architecture '" + arch + "' is not one llama.cpp " + profile), r.err());
            assertTrue(Files.notExists(dir.resolve("refused")), "nothing written");
            return;
        }
        RopeDecoderReference.Shape shape;
        Map<String, float[]> hf;
        try (GgufFile f = GgufFile.open(host)) {
            shape = RopeDecoderReference.shapeOf(f);
            hf = HfCheckpoints.familyAsHf(f);
        }
        int[] tokens = tokens(shape.vocab());
        compare(arch, llamaCpp(host, tokens), reference(shape, hf), tokens, shape.layers(),
                arch.equals(Gemma3Family.ARCH) ? GEMMA3_TOLERANCE : TOLERANCE);
    }

    /**
     * Gemma 3's local layers as llama.cpp implements them: a sliding window (8 tokens here, so that a 48-token decode
     * crosses it) and the local rotary base (10,000) on five of every six layers, the file's base (10^6) on the sixth.
     * The reference without the window, or with one base for all layers, is far outside the tolerance: the check sees
     * both.
     */
    @Test
    void gemma3SlidingWindowAndLocalRopeMatchTheReference() throws IOException {
        if (!RuntimeProfile.selected().architectures().contains(Gemma3Family.ARCH)) {
            throw new AssertionError(RuntimeProfile.selected() + " must load gemma3");
        }
        BpeVocabulary vocabulary;
        try (GgufFile f = GgufFile.open(init(Gemma3Family.ARCH))) {
            vocabulary = BpeVocabulary.readFrom(f);
        }
        RopeDecoderConfig c = new RopeDecoderConfig(Gemma3Family.MIN_LAYERS, 64, 4, 2, 16, 128, vocabulary.size(), 64,
                1e-6f, 1e6f, true, 8);
        Path file = dir.resolve("gemma3-window-8.gguf");
        DecoderGgufWriter.write(Gemma3Family.INSTANCE, c, vocabulary,
                new RandomDecoderWeights(Gemma3Family.INSTANCE.tensors(c), 9), GgmlType.F32, Map.of(), file);
        RopeDecoderReference.Shape shape;
        Map<String, float[]> hf;
        try (GgufFile f = GgufFile.open(file)) {
            shape = RopeDecoderReference.shapeOf(f);
            hf = HfCheckpoints.familyAsHf(f);
        }
        assertEquals(8, shape.slidingWindow());
        int[] tokens = tokens(shape.vocab());
        Run got = llamaCpp(file, tokens);
        compare("gemma3, window 8, global base 1e6", got, reference(shape, hf), tokens, shape.layers(), GEMMA3_TOLERANCE);
        double noWindow = relativeDiff(got.logits(), reference(shape.withBlock(shape.block(), 0, shape.localRopeTheta()),
                hf).forward(tokens).logits());
        double oneBase = relativeDiff(got.logits(), reference(shape.withBlock(shape.block(), 8, shape.ropeTheta()),
                hf).forward(tokens).logits());
        double exactGelu = relativeDiff(got.logits(), new RopeDecoderReference(shape, n -> Optional.ofNullable(hf.get(n)),
                RopeDecoderReference.RopePairing.HALF_SPLIT).forward(tokens).logits());
        System.out.printf("gemma3 reference without the window: %.3g; with the global base on local layers: %.3g;"
                + " with HF's exact GELU: %.3g%n", noWindow, oneBase, exactGelu);
        assertTrue(noWindow > 100 * TOLERANCE && oneBase > 100 * TOLERANCE, noWindow + ", " + oneBase);
    }

    /**
     * {@code datastore} stores, for every scored position, the fp16 of the {@code ffn_norm-<last>} node llama.cpp
     * computes when every row is an output; {@code knn} indexes them, and {@code perplexity --knn} (which captures the
     * same node live) retrieves the stored continuation of the corpus it scores: far below the random host.
     */
    /** The families of this test the selected profile loads (the refusal of the others is checked above). */
    static Stream<String> loadable() {
        return Stream.of("qwen3", "gemma3", "phi3").filter(RuntimeProfile.selected().architectures()::contains);
    }

    @ParameterizedTest
    @MethodSource("loadable")
    void datastoreKeysAreTheLlamaCppKeyAndLiveKnnLmRetrievesWithThem(String arch) throws IOException {
        Path host = init(arch);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            text.append("the cat sat on the mat number ").append(i % 4).append(" and the dog ran\n");
        }
        Path corpus = Files.writeString(dir.resolve(arch + "-corpus.txt"), text);
        Path ds = dir.resolve(arch + "-ds");
        Path knn = dir.resolve(arch + "-knn");
        int ctx = 32;
        CliRun.succeed("datastore", "--host", host.toString(), "--corpus", corpus.toString(), "--out", ds.toString(),
                "--ctx", Integer.toString(ctx), "--stride", "16", "--threads", "2");
        long rows;
        try (LlamaModel model = LlamaModel.load(host, ModelOptions.defaults());
             LlamaContext every = LlamaContext.create(model, ContextOptions.defaults().withNCtx(ctx).withBatch(ctx, ctx)
                     .withThreads(2, 2).withCapture(LlamaContext.ffnInput(model.nLayer() - 1)));
             Datastore store = Datastore.open(ds)) {
            int d = store.dimension();
            assertEquals(model.nEmbd(), d);
            float[] stored = new float[d];
            long row = 0;
            double worst = 0;
            for (Datastore.ScoredWindow w : store.windows()) {
                SlidingWindows.Window win = w.window();
                every.kvClear();
                every.decode(store.tokens(w.stream(), win.begin(), win.end()), 0, true);
                CapturedTensor all = every.captured(LlamaContext.ffnInput(model.nLayer() - 1));
                for (int t = win.firstScored() - 1; t < win.end() - 1; t++, row++) {
                    store.readKeys(row, 1, stored);
                    float[] want = all.row(t - win.begin());
                    for (int i = 0; i < d; i++) {
                        float f16 = Float.float16ToFloat(Float.floatToFloat16(want[i]));
                        worst = Math.max(worst, Math.abs(f16 - stored[i]) / Math.max(Math.abs(want[i]), 1e-3));
                    }
                }
            }
            rows = row;
            assertEquals(store.count(), rows);
            System.out.printf("%s on %s: %d datastore keys, largest relative difference to fp16(ffn_norm node) %.3g%n",
                    arch, RuntimeProfile.selected(), rows, worst);
            assertTrue(worst <= 1e-3, arch + ": stored keys differ from llama.cpp's node by " + worst + " (fp16 ulp 9.8e-4)");
        }
        allRowsRebuildHoldsExactlyWhereTheProfileUsesIt(arch, host, corpus);
        CliRun.succeed("knn", "--datastore", ds.toString(), "--out", knn.toString(), "--index", "flat", "--k", "8");
        JsonObject ppl = JsonParser.parseString(CliRun.succeed("perplexity", "--host", host.toString(), "--knn",
                knn.toString(), "--text", corpus.toString(), "--ctx", Integer.toString(ctx), "--stride", "16",
                "--threads", "2", "--lambda", "0.5", "--json").out()).getAsJsonObject();
        double hostPpl = ppl.get("host_ppl").getAsDouble();
        JsonArray knnLm = ppl.getAsJsonArray("knn_lm");
        double mixed = knnLm.get(0).getAsJsonObject().get("ppl").getAsDouble();
        System.out.printf("%s on %s: perplexity of the datastore's own text: host %.2f, kNN-LM (lambda 0.5) %.2f%n",
                arch, RuntimeProfile.selected(), hostPpl, mixed);
        assertEquals(rows, ppl.get("tokens").getAsLong(), "the same windows score the same positions");
        assertTrue(mixed < hostPpl / 10, arch + ": kNN-LM " + mixed + " vs host " + hostPpl);
    }

    /**
     * {@link FfnNorm#rebuildsFromAllRows} is the truth: where it says yes, the key rebuilt from the last block's two
     * output-row selections equals the {@code ffn_norm-<last>} node; where it says no (gemma3 on v0.5.0, whose
     * selection precedes the post-attention norm) the rebuilt key is wrong, so the datastore must not use it.
     */
    private static void allRowsRebuildHoldsExactlyWhereTheProfileUsesIt(String arch, Path host, Path corpus)
            throws IOException {
        FfnNorm norm;
        try (GgufFile f = GgufFile.open(host)) {
            norm = FfnNorm.ofLastBlock(f);
        }
        try (LlamaModel model = LlamaModel.load(host, ModelOptions.defaults())) {
            int[] tokens = model.vocab().tokenize(Files.readString(corpus), false, false);
            tokens = java.util.Arrays.copyOf(tokens, Math.min(tokens.length, 32));
            String node = LlamaContext.ffnInput(model.nLayer() - 1);
            float[] want;
            float[] all;
            ContextOptions base = ContextOptions.defaults().withNCtx(32).withBatch(32, 32).withThreads(2, 2);
            try (LlamaContext c = LlamaContext.create(model, base.withCapture(node))) {
                c.decode(tokens, 0, true);
                want = c.captured(node).values();
            }
            try (LlamaContext c = LlamaContext.create(model, base.withCapture(LlamaContext.FFN_INP_ALL_ROWS))) {
                c.decode(tokens, 0, false);
                all = c.captured(LlamaContext.FFN_INP_ALL_ROWS).values();
            }
            float[] rebuilt = new float[want.length];
            for (int r = 0; r < tokens.length; r++) {
                norm.apply(all, r * norm.width(), rebuilt, r * norm.width());
            }
            double diff = relativeDiff(new float[][] {rebuilt}, new float[][] {want});
            boolean used = FfnNorm.rebuildsFromAllRows(arch, RuntimeProfile.selected());
            System.out.printf("%s on %s: key rebuilt from the output-row selections vs the node: %.3g (%s by datastore)%n",
                    arch, RuntimeProfile.selected(), diff, used ? "used" : "not used");
            assertTrue(used ? diff <= 1e-6 : diff > 1e-2, arch + ": rebuilt key differs by " + diff);
        }
    }

    private static double maxAbs(float[][] a) {
        double m = 0;
        for (float[] row : a) {
            for (float v : row) {
                m = Math.max(m, Math.abs(v));
            }
        }
        return m;
    }

    private static double maxAbsDiff(float[][] a, float[][] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i].length, b[i].length);
            for (int j = 0; j < a[i].length; j++) {
                m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return m;
    }
}

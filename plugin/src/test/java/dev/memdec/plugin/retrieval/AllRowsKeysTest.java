package dev.memdec.plugin.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.eval.SlidingWindows;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.hf.HfArchitecture;
import dev.memdec.converter.hf.HfConverter;
import dev.memdec.converter.hf.SyntheticHfCheckpoint;
import dev.memdec.natives.llama.CapturedTensor;
import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.LlamaRuntime;
import dev.memdec.natives.llama.ModelOptions;
import dev.memdec.natives.llama.RuntimeProfile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fast key path (ffn_inp of every row read beside the last block's output-row selection, normalized in Java,
 * one output row per decode) yields exactly the {@code ffn_norm-<last>} node that llama.cpp computes when every
 * row is an output: bit for bit, for LayerNorm (gpt2) and RMSNorm (llama, qwen2) hosts, across micro-batches that
 * hold no output row at all.
 */
class AllRowsKeysTest {

    @TempDir
    Path tmp;

    private Path host(HfArchitecture arch) throws IOException {
        SyntheticHfCheckpoint c = SyntheticHfCheckpoint.tiny(arch);
        Path ckpt = tmp.resolve("ckpt");
        c.writeTo(ckpt);
        Path gguf = tmp.resolve(arch + ".gguf");
        HfConverter.convert(ckpt, gguf, GgmlType.F32);
        return gguf;
    }

    @ParameterizedTest
    @EnumSource(HfArchitecture.class)
    void keysFromAllRowsFfnInpEqualTheFfnNormNodeBitForBit(HfArchitecture arch) throws IOException {
        Path host = host(arch);
        int n = 40;
        int[] tokens = new SplittableRandom(3).ints(n, 0, 271).toArray();
        FfnNorm norm;
        try (GgufFile gguf = GgufFile.open(host)) {
            norm = FfnNorm.ofLastBlock(gguf);
        }
        try (LlamaModel model = LlamaModel.load(host, ModelOptions.defaults())) {
            // micro-batches of 8: the first four have no output row in the fast path
            ContextOptions base = ContextOptions.defaults().withNCtx(64).withBatch(n, 8).withThreads(2, 2);
            float[] want;
            try (LlamaContext old = LlamaContext.create(model, base.withCapture(LlamaContext.ffnInput(model.nLayer() - 1)))) {
                old.decode(tokens, 0, true);
                want = old.captured(LlamaContext.ffnInput(model.nLayer() - 1)).values();
            }
            assertEquals(n * model.nEmbd(), want.length, "every row is an output on the old path");
            try (LlamaContext fast = LlamaContext.create(model, base.withCapture(LlamaContext.FFN_INP_ALL_ROWS))) {
                fast.decode(tokens, 0, false);
                CapturedTensor all = fast.captured(LlamaContext.FFN_INP_ALL_ROWS);
                assertEquals(n, all.rows(), "ffn_inp has a row for every token, not only the output one");
                float[] got = new float[want.length];
                for (int r = 0; r < n; r++) {
                    norm.apply(all.values(), r * norm.width(), got, r * norm.width());
                }
                // b4916's CPU norms sum like FfnNorm: bit for bit. v0.5.0's LayerNorm sums in SIMD float lanes
                // (ggml_vec_sum_f32, ggml_vec_cvar_f32), so there the keys agree to rounding (the issue asks 1e-4).
                boolean exact = LlamaRuntime.get().profile() == RuntimeProfile.B4916 || arch != HfArchitecture.GPT2;
                for (int i = 0; i < want.length; i++) {
                    String what = arch + ": element " + i + " (row " + i / norm.width() + "): " + want[i] + " vs " + got[i];
                    if (exact) {
                        assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), what);
                    } else {
                        assertEquals(want[i], got[i], 1e-5f, what);
                    }
                }
                assertTrue(fast.hasOutput(n - 1) && !fast.hasOutput(0), "only the last token was an output");
            }
        }
    }

    @Test
    void datastoreKeysAreTheFp16OfTheFfnNormNode() throws IOException {
        Path host = host(HfArchitecture.LLAMA);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            text.append("the seer went in the gate ").append(i).append(" and the rest were there\n");
        }
        Path corpus = java.nio.file.Files.writeString(tmp.resolve("corpus.txt"), text);
        int ctx = 32;
        int stride = 16;
        Path dir = tmp.resolve("ds");
        DatastoreBuilder.build(host, List.of(corpus), dir,
                new DatastoreBuilder.Options(ctx, stride, KeyType.FFN_INPUT, 2), DatastoreBuilderTest.QUIET);
        try (LlamaModel model = LlamaModel.load(host, ModelOptions.defaults());
             LlamaContext old = LlamaContext.create(model, ContextOptions.defaults().withNCtx(ctx).withBatch(ctx, ctx)
                     .withThreads(2, 2).withCapture(LlamaContext.ffnInput(model.nLayer() - 1)));
             Datastore ds = Datastore.open(dir)) {
            int d = ds.dimension();
            float[] stored = new float[d];
            long row = 0;
            for (Datastore.ScoredWindow w : ds.windows()) {
                SlidingWindows.Window win = w.window();
                old.kvClear();
                old.decode(ds.tokens(w.stream(), win.begin(), win.end()), 0, true);
                CapturedTensor all = old.captured(LlamaContext.ffnInput(model.nLayer() - 1));
                for (int t = win.firstScored() - 1; t < win.end() - 1; t++, row++) {
                    ds.readKeys(row, 1, stored);
                    float[] want = all.row(t - win.begin());
                    for (int i = 0; i < d; i++) {
                        assertEquals(Float.float16ToFloat(Float.floatToFloat16(want[i])), stored[i],
                                "entry " + row + " element " + i);
                    }
                }
            }
            assertEquals(ds.count(), row);
            assertTrue(ds.count() > 2L * ctx, "several windows: " + ds.count());
        }
    }
}

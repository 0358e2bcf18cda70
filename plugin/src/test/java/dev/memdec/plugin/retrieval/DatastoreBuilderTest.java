package dev.memdec.plugin.retrieval;

import dev.memdec.converter.io.AtomicFiles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.eval.SlidingWindows;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatastoreBuilderTest {

    static final int CTX = 32;
    static final int STRIDE = 16;

    @TempDir
    static Path shared;
    static Path host;
    static Path corpus;

    @TempDir
    Path tmp;

    @BeforeAll
    static void tinyHostAndCorpus() throws IOException {
        Gpt2Config c = Gpt2Config.of(2, 64, 2, 64, Gpt2Tokenizer.VOCAB_SIZE);
        host = shared.resolve("host.gguf");
        Gpt2GgufExporter.write(c, new RandomGpt2Weights(c, 7), Gpt2Tokenizer.vocabulary(), GgmlType.F32, Map.of(), host);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            text.append("Line ").append(i).append(": the whale swam past ship number ").append(i * 7).append(".\n");
        }
        corpus = Files.writeString(shared.resolve("corpus.txt"), text);
    }

    static final DatastoreBuilder.Progress QUIET = new DatastoreBuilder.Progress() {
        @Override
        public void start(long totalEntries, long entriesDone) {
        }

        @Override
        public void step(long entries) {
        }
    };

    static DatastoreBuilder.Options options() {
        return new DatastoreBuilder.Options(CTX, STRIDE, KeyType.FFN_INPUT, 2);
    }

    @Test
    void keyAtTIsPairedWithTokenAtTPlusOne() throws IOException {
        Path dir = tmp.resolve("ds");
        DatastoreManifest m = DatastoreBuilder.build(host, List.of(corpus), dir, options(), QUIET);
        try (LlamaModel model = LlamaModel.load(host, ModelOptions.defaults());
             LlamaContext ctx = LlamaContext.create(model, ContextOptions.defaults().withNCtx(CTX).withBatch(CTX, CTX)
                     .withThreads(2, 2).withCapture(LlamaContext.ffnInput(1)));
             Datastore ds = Datastore.open(dir)) {
            int[] tokens = DatastoreBuilder.tokenize(model.vocab(), corpus);
            assertTrue(tokens.length > 3 * CTX, "corpus spans several windows: " + tokens.length + " tokens");
            // entry r ↔ (window begin, position t): the enumeration the reference uses (§2.3, §2.5)
            List<int[]> positions = new ArrayList<>();
            for (SlidingWindows.Window w : SlidingWindows.of(tokens.length, CTX, STRIDE)) {
                for (int t = w.firstScored() - 1; t < w.end() - 1; t++) {
                    positions.add(new int[] {w.begin(), t});
                }
            }
            assertEquals(tokens.length - 1, positions.size(), "every token but the first is a target once");
            assertEquals(List.of(tokens.length), m.streamLengths());
            assertArrayEquals(tokens, ds.tokens(0, 0, tokens.length), "the datastore keeps the token stream");
            int row = 0;
            for (Datastore.ScoredWindow w : ds.windows()) {   // the windows rebuilt from the datastore alone
                assertEquals(row, w.firstEntry());
                for (int t = w.window().firstScored() - 1; t < w.window().end() - 1; t++, row++) {
                    assertArrayEquals(new int[] {w.window().begin(), t}, positions.get(row), "entry " + row);
                }
            }
            assertEquals(positions.size(), row);
            assertEquals(positions.size(), ds.count());
            assertEquals(64, m.spec().dimension());
            assertEquals(Gpt2Tokenizer.vocabulary().sha256(), m.spec().tokenizerSha256());
            assertEquals(AtomicFiles.sha256(host), m.spec().host().sha256());
            float[] stored = new float[64];
            for (int r = 0; r < ds.count(); r++) {
                assertEquals(tokens[positions.get(r)[1] + 1], ds.value(r), "value of entry " + r + " is token t+1");
            }
            for (int r : new int[] {0, 1, 15, 16, 17, 40, (int) ds.count() - 1}) {
                int begin = positions.get(r)[0];
                int t = positions.get(r)[1];
                int[] prefix = java.util.Arrays.copyOfRange(tokens, begin, t + 1);
                ctx.kvClear();
                ctx.decode(prefix, 0, false);   // output at t only: the key must be the state at t
                float[] want = ctx.captured(LlamaContext.ffnInput(1)).row(0);
                ds.readKeys(r, 1, stored);
                assertTrue(relativeError(want, stored) < 1e-2, "entry " + r + " key is the hidden state at t="
                        + t + " (relative error " + relativeError(want, stored) + ")");
                if (r + 1 < ds.count() && positions.get(r + 1)[1] == t + 1) {
                    float[] next = new float[64];
                    ds.readKeys(r + 1, 1, next);
                    assertTrue(relativeError(want, next) > 0.1, "keys of neighbouring positions differ");
                }
            }
        }
    }

    static double relativeError(float[] want, float[] got) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < want.length; i++) {
            diff = Math.max(diff, Math.abs(want[i] - got[i]));
            norm = Math.max(norm, Math.abs(want[i]));
        }
        return diff / norm;
    }

    @Test
    void builtTwiceIsByteIdenticalAndAKilledBuildResumes() throws IOException {
        DatastoreBuilder.build(host, List.of(corpus), tmp.resolve("a"), options(), QUIET);
        int[] windows = {0};
        assertThrows(IllegalStateException.class, () -> DatastoreBuilder.build(host, List.of(corpus), tmp.resolve("c"),
                options(), new DatastoreBuilder.Progress() {
                    @Override
                    public void start(long totalEntries, long entriesDone) {
                    }

                    @Override
                    public void step(long entries) {
                        if (++windows[0] == 3) {
                            throw new IllegalStateException("killed");
                        }
                    }
                }));
        assertFalse(Files.exists(tmp.resolve("c/datastore.json")));
        long[] resumedFrom = {-1};
        DatastoreBuilder.build(host, List.of(corpus), tmp.resolve("c"), options(), new DatastoreBuilder.Progress() {
            @Override
            public void start(long totalEntries, long entriesDone) {
                resumedFrom[0] = entriesDone;
            }

            @Override
            public void step(long entries) {
            }
        });
        assertEquals(STRIDE - 1 + 2L * STRIDE, resumedFrom[0], "three windows were checkpointed before the kill");
        for (String f : List.of("datastore.json", "keys.f16", "values.i32", "tokens.i32")) {
            // c is a second build (killed, then resumed): equal bytes show both determinism and clean resumption
            assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(f)), Files.readAllBytes(tmp.resolve("c").resolve(f)),
                    f + " a vs resumed c");
        }
    }

    @Test
    void referenceLineGroupingDropsEachGroupsRemainder() throws IOException {
        int groupLines = 5;
        DatastoreManifest m = DatastoreBuilder.build(host, List.of(corpus), tmp.resolve("grouped"),
                new DatastoreBuilder.Options(CTX, STRIDE, KeyType.FFN_INPUT, 2, groupLines), QUIET);
        List<int[]> lines = new ArrayList<>();
        try (LlamaModel model = LlamaModel.load(host, ModelOptions.defaults())) {
            for (String line : Files.readString(corpus).split("(?<=\n)")) {
                lines.add(model.vocab().tokenize(line, false, false));
            }
        }
        assertEquals(12, lines.size());
        List<Integer> expected = new ArrayList<>();
        long entries = 0;
        for (int from = 0; from < lines.size(); from += groupLines) {
            int n = 0;
            for (int[] l : lines.subList(from, Math.min(from + groupLines, lines.size()))) {
                n += l.length;
            }
            int kept = n >= CTX ? n / CTX * CTX : n;
            expected.add(kept);
            entries += kept - 1;
        }
        assertTrue(expected.get(0) % CTX == 0 && expected.get(0) > 0, "the first group spans whole windows: " + expected);
        assertEquals(expected, m.streamLengths(), "3 groups of 5, 5 and 2 lines, each cut to a multiple of " + CTX);
        assertEquals(entries, m.count(), "every kept token but each group's first is a target");
        assertEquals(groupLines, m.spec().groupLines());
        try (Datastore ds = Datastore.open(tmp.resolve("grouped"))) {
            int[] second = ds.tokens(1, 0, expected.get(1));
            assertEquals(lines.get(groupLines)[0], second[0], "the second group starts at line " + groupLines);
        }
    }

    @Test
    void badInputGivesClearErrors() throws IOException {
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DatastoreBuilder.build(host, List.of(empty), tmp.resolve("e"), options(), QUIET));
        assertTrue(e.getMessage().contains("no scored positions"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("e")), "nothing written for an empty corpus");
        e = assertThrows(IllegalArgumentException.class,
                () -> DatastoreBuilder.build(host, List.of(tmp.resolve("missing.txt")), tmp.resolve("m"), options(), QUIET));
        assertTrue(e.getMessage().contains("missing.txt"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DatastoreBuilder.build(host, List.of(corpus),
                tmp.resolve("x"), new DatastoreBuilder.Options(128, 64, KeyType.FFN_INPUT, 1), QUIET));
        assertTrue(e.getMessage().contains("training context 64"), e.getMessage());
        Path garbage = Files.writeString(tmp.resolve("garbage.gguf"), "GGUF but not really");
        IOException io = assertThrows(IOException.class,
                () -> DatastoreBuilder.build(garbage, List.of(corpus), tmp.resolve("g"), options(), QUIET));
        assertTrue(io.getMessage().contains("garbage.gguf"), io.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DatastoreBuilder.Options(32, 33, KeyType.FINAL, 1));
    }
}

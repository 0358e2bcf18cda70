package dev.memdec.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.eval.SlidingWindows;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.plugin.cli.Main;
import dev.memdec.trainer.datastore.Datastore;
import dev.memdec.trainer.datastore.DatastoreSpec;
import dev.memdec.trainer.datastore.DatastoreWriter;
import dev.memdec.trainer.datastore.KeyType;
import dev.memdec.trainer.datastore.SourceFile;
import dev.memdec.trainer.knn.IndexType;
import dev.memdec.trainer.knn.KnnBuilder;
import dev.memdec.trainer.knn.KnnConfig;
import dev.memdec.trainer.knn.ProbType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** train over a small real datastore + kNN directory, then export; and the refusals on mismatched inputs. */
class TrainCommandTest {

    private static final int CTX = 32;
    private static final int STRIDE = 16;
    private static final int DIM = 8;

    private record Run(int code, String out, String err) {
    }

    private static Run memdec(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            return new Run(cl.execute(args), out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(old);
        }
    }

    private static Path corpus(Path dir, String name, int lines) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            sb.append("Call me Ishmael, said sailor ").append(i % 5).append(" to the whale.\n");
        }
        Path file = dir.resolve(name);
        Files.writeString(file, sb.toString());
        return file;
    }

    /** A datastore as the datastore builder lays it out, with random keys standing in for host states. */
    private static Path datastore(Path dir, Path corpus, long seed) throws Exception {
        List<Integer> values = new ArrayList<>();
        List<int[]> lines = new ArrayList<>();
        for (String line : Files.readString(corpus).split("(?<=\n)")) {
            lines.add(Gpt2Tokenizer.get().encode(line));
        }
        int[] tokens = lines.stream().flatMapToInt(java.util.Arrays::stream).toArray();
        for (SlidingWindows.Window w : SlidingWindows.of(tokens.length, CTX, STRIDE)) {
            for (int p = w.firstScored(); p < w.end(); p++) {
                values.add(tokens[p]);
            }
        }
        DatastoreSpec spec = new DatastoreSpec(new SourceFile("host.gguf", 1, "ab".repeat(32)),
                Gpt2Tokenizer.vocabulary().sha256(), KeyType.FFN_INPUT, DIM, List.of(SourceFile.of(corpus)), CTX, STRIDE);
        SplittableRandom random = new SplittableRandom(seed);
        try (DatastoreWriter w = DatastoreWriter.open(dir, spec)) {
            float[] keys = new float[values.size() * DIM];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = (float) random.nextGaussian();
            }
            w.append(keys, values.stream().mapToInt(Integer::intValue).toArray(), values.size());
            w.checkpoint(1);
            w.finish();
        }
        return dir;
    }

    private static Path knn(Path datastoreDir, Path out) throws Exception {
        try (Datastore ds = Datastore.open(datastoreDir)) {
            KnnBuilder.build(ds, out, new KnnConfig(8, 4, 0, IndexType.FLAT, 1, 1000, ProbType.F16), n -> { });
        }
        return out;
    }

    @Test
    void trainsOnDatastoreAndExports(@TempDir Path dir) throws Exception {
        Path corpus = corpus(dir, "corpus.txt", 30);
        Path ds = datastore(dir.resolve("ds"), corpus, 1);
        Path knn = knn(ds, dir.resolve("knn"));
        Path out = dir.resolve("run");
        Run r = memdec("train", "--datastore", ds.toString(), "--knn", knn.toString(), "--corpus", corpus.toString(),
                "--shape", "1x32x2", "--batch", "4", "--epochs", "2", "--lr", "1e-2", "--threads", "1",
                "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject summary = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(0.5, summary.get("beta").getAsDouble());
        assertTrue(summary.get("last_loss").getAsDouble() < summary.get("first_loss").getAsDouble(), r.out());
        assertTrue(summary.get("valid_ppl_memory").getAsDouble() > 1, r.out());

        Path gguf = dir.resolve("memory.gguf");
        Run export = memdec("export", "--checkpoint", out.toString(), "--out", gguf.toString(), "--type", "q8_0");
        assertEquals(0, export.code(), export.err());
        try (GgufFile f = GgufFile.open(gguf)) {
            assertEquals("memory", f.getString("memdec.kind"));
            assertEquals("host.gguf sha256:" + "ab".repeat(32), f.getString("memdec.host"));
            assertTrue(f.getString("memdec.knn").startsWith("k 8, temperature 4.0"), f.getString("memdec.knn"));
        }
    }

    @Test
    void refusesKnnOfAnotherDatastoreAndOtherCorpus(@TempDir Path dir) throws Exception {
        Path corpus = corpus(dir, "corpus.txt", 12);
        Path dsA = datastore(dir.resolve("a"), corpus, 1);
        Path dsB = datastore(dir.resolve("b"), corpus, 2);
        Path knnA = knn(dsA, dir.resolve("knn-a"));
        Run mismatch = memdec("train", "--datastore", dsB.toString(), "--knn", knnA.toString(), "--corpus",
                corpus.toString(), "--shape", "1x32x2", "--out", dir.resolve("run").toString());
        assertEquals(1, mismatch.code());
        assertTrue(mismatch.err().contains("these distributions belong to another datastore"), mismatch.err());

        Path other = corpus(dir, "other.txt", 13);
        Run wrongCorpus = memdec("train", "--datastore", dsA.toString(), "--knn", knnA.toString(), "--corpus",
                other.toString(), "--shape", "1x32x2", "--out", dir.resolve("run").toString());
        assertEquals(1, wrongCorpus.code());
        assertTrue(wrongCorpus.err().startsWith("memdec train: --corpus " + other + ": SHA-256 "), wrongCorpus.err());

        Run seq = memdec("train", "--datastore", dsA.toString(), "--knn", knnA.toString(), "--corpus",
                corpus.toString(), "--shape", "1x32x2", "--seq", "64", "--out", dir.resolve("run").toString());
        assertEquals("memdec train: --seq 64 differs from the datastore's window of 32 tokens; the windows are the "
                + "datastore's\n", seq.err());
    }
}

package dev.memdec.trainer.cli;

import static dev.memdec.plugin.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.eval.SlidingWindows;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.Gpt2Tensors;
import dev.memdec.converter.gpt2.Gpt2Weights;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.plugin.cli.CliRun;
import dev.memdec.plugin.retrieval.Datastore;
import dev.memdec.plugin.retrieval.DatastoreSpec;
import dev.memdec.plugin.retrieval.DatastoreWriter;
import dev.memdec.plugin.retrieval.IndexType;
import dev.memdec.plugin.retrieval.KeyType;
import dev.memdec.plugin.retrieval.KnnBuilder;
import dev.memdec.plugin.retrieval.KnnConfig;
import dev.memdec.plugin.retrieval.ProbType;
import dev.memdec.plugin.retrieval.SourceFile;
import dev.memdec.trainer.train.Checkpoint;
import dev.memdec.trainer.train.TrainingState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train over a small real datastore + kNN directory, then export; and the refusals on mismatched inputs. */
class TrainCommandTest {

    private static final int CTX = 32;
    private static final int STRIDE = 16;
    private static final int DIM = 8;

    static Path corpus(Path dir, String name, int lines) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            sb.append("Call me Ishmael, said sailor ").append(i % 5).append(" to the whale.\n");
        }
        Path file = dir.resolve(name);
        Files.writeString(file, sb.toString());
        return file;
    }

    /** Corpus lines tokenized one at a time, ids concatenated (the datastore builder's rule). */
    static int[] tokens(Path corpus) throws Exception {
        List<int[]> lines = new ArrayList<>();
        for (String line : Files.readString(corpus).split("(?<=\n)")) {
            lines.add(Gpt2Tokenizer.get().encode(line));
        }
        return lines.stream().flatMapToInt(java.util.Arrays::stream).toArray();
    }

    /**
     * A datastore as the datastore builder lays it out, with random keys standing in for host states; with
     * {@code storeTokens} false it lacks the token streams, like a datastore of an older build.
     */
    static Path datastore(Path dir, long seed, boolean storeTokens, Path... corpus) throws Exception {
        List<Integer> values = new ArrayList<>();
        List<int[]> streams = new ArrayList<>();
        List<SourceFile> files = new ArrayList<>();
        for (Path file : corpus) {
            int[] tokens = tokens(file);
            streams.add(tokens);
            files.add(SourceFile.of(file));
            for (SlidingWindows.Window w : SlidingWindows.of(tokens.length, CTX, STRIDE)) {
                for (int p = w.firstScored(); p < w.end(); p++) {
                    values.add(tokens[p]);
                }
            }
        }
        DatastoreSpec spec = new DatastoreSpec(new SourceFile("host.gguf", 1, "ab".repeat(32)),
                Gpt2Tokenizer.vocabulary().sha256(), KeyType.FFN_INPUT, DIM, files, CTX, STRIDE);
        SplittableRandom random = new SplittableRandom(seed);
        try (DatastoreWriter w = DatastoreWriter.open(dir, spec)) {
            if (storeTokens) {
                w.tokenStreams(streams);
            }
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

    static Path knn(Path datastoreDir, Path out) throws Exception {
        try (Datastore ds = Datastore.open(datastoreDir)) {
            KnnBuilder.build(ds, out, new KnnConfig(8, 4, 0, IndexType.FLAT, 1, 1000, ProbType.F16), n -> { });
        }
        return out;
    }

    @Test
    void trainsOnDatastoreAndExports(@TempDir Path dir) throws Exception {
        Path corpus = corpus(dir, "corpus.txt", 30);
        Path ds = datastore(dir.resolve("ds"), 1, true, corpus);
        Path knn = knn(ds, dir.resolve("knn"));
        Path out = dir.resolve("run");
        Gpt2Config hostConfig = Gpt2Config.of(1, 32, 2, CTX, Gpt2Tokenizer.VOCAB_SIZE);
        Path host = dir.resolve("host.gguf");
        Gpt2GgufExporter.write(hostConfig, new RandomGpt2Weights(hostConfig, 9), Gpt2Tokenizer.vocabulary(), GgmlType.F16,
                Map.of(), host);
        // No --corpus: the windows come from the token streams stored in the datastore.
        CliRun r = run("train", "--datastore", ds.toString(), "--knn", knn.toString(),
                "--shape", "1x32x2", "--batch", "4", "--epochs", "2", "--lr", "1e-2", "--threads", "1",
                "--host", host.toString(), "--lambda", "0.25", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject summary = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(0.5, summary.get("beta").getAsDouble());
        assertTrue(summary.get("last_loss").getAsDouble() < summary.get("first_loss").getAsDouble(), r.out());
        assertTrue(summary.get("valid_ppl_memory").getAsDouble() > 1, r.out());
        assertTrue(summary.get("valid_ppl_joint").getAsDouble() > 1, r.out());

        Path gguf = dir.resolve("memory.gguf");
        CliRun export = run("export", "--checkpoint", out.toString(), "--out", gguf.toString(), "--type", "q8_0");
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
        Path dsA = datastore(dir.resolve("a"), 1, true, corpus);
        Path dsB = datastore(dir.resolve("b"), 2, true, corpus);
        Path knnA = knn(dsA, dir.resolve("knn-a"));
        CliRun mismatch = run("train", "--datastore", dsB.toString(), "--knn", knnA.toString(), "--corpus",
                corpus.toString(), "--shape", "1x32x2", "--out", dir.resolve("run").toString());
        assertEquals(1, mismatch.code());
        assertTrue(mismatch.err().contains("these distributions belong to another datastore"), mismatch.err());

        Path other = corpus(dir, "other.txt", 13);
        CliRun wrongCorpus = run("train", "--datastore", dsA.toString(), "--knn", knnA.toString(), "--corpus",
                other.toString(), "--shape", "1x32x2", "--out", dir.resolve("run").toString());
        assertEquals(1, wrongCorpus.code());
        assertTrue(wrongCorpus.err().startsWith("memdec train: --corpus " + other + ": SHA-256 "), wrongCorpus.err());

        CliRun seq = run("train", "--datastore", dsA.toString(), "--knn", knnA.toString(), "--corpus",
                corpus.toString(), "--shape", "1x32x2", "--seq", "64", "--out", dir.resolve("run").toString());
        assertEquals("memdec train: --seq 64 differs from the datastore's window of 32 tokens; the windows are the "
                + "datastore's\n", seq.err());

        Path old = datastore(dir.resolve("old"), 1, false, corpus);
        Path knnOld = knn(old, dir.resolve("knn-old"));
        CliRun noStreams = run("train", "--datastore", old.toString(), "--knn", knnOld.toString(), "--shape", "1x32x2",
                "--out", dir.resolve("run").toString());
        assertEquals(1, noStreams.code());
        assertEquals("memdec train: --datastore " + old + ": stores 0 token streams in tokens.i32 for 1 corpus files "
                + "(built without them); give its corpus files with --corpus\n", noStreams.err());
        CliRun withCorpus = run("train", "--datastore", old.toString(), "--knn", knnOld.toString(), "--corpus",
                corpus.toString(), "--shape", "1x32x2", "--batch", "4", "--threads", "1", "--out", dir.resolve("old-run").toString());
        assertEquals(0, withCorpus.code(), withCorpus.err());
    }

    /**
     * A real input that turns the loss non-finite after a checkpoint exists: an --init model whose position
     * embeddings beyond the first window's length are +inf (as a model with weights above 65504 has after an F16
     * round trip). The first corpus file is shorter than the window, so step 0 reads only finite rows (and leaves
     * the others untouched: their gradient is 0); step 1 reads a full window of the second file. The run must stop at step 1 naming it and the last good checkpoint, which stays intact and is what a
     * rerun resumes from.
     */
    @Test
    void nonFiniteLossStopsAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws Exception {
        Path shortFile = corpus(dir, "short.txt", 2);
        Path longFile = corpus(dir, "long.txt", 12);
        int shortLength = tokens(shortFile).length;
        assertTrue(shortLength > STRIDE && shortLength < CTX, "the short file must give windows [0,16) and [0,length)");
        Path ds = datastore(dir.resolve("ds"), 1, true, shortFile, longFile);
        Path knn = knn(ds, dir.resolve("knn"));
        Gpt2Config config = Gpt2Config.of(1, 32, 2, CTX, Gpt2Tokenizer.VOCAB_SIZE);
        Gpt2Weights random = new RandomGpt2Weights(config, 9);
        Gpt2Weights overflowing = name -> name.equals(Gpt2Tensors.POSITION_EMBD)
                ? (first, dst, count) -> {
                    random.tensor(name).read(first, dst, count);
                    for (int i = 0; i < count; i++) {
                        if ((first + i) / config.embd() >= shortLength) {
                            dst[i] = Float.POSITIVE_INFINITY;
                        }
                    }
                }
                : random.tensor(name);
        Path init = dir.resolve("inf-positions.gguf");
        Gpt2GgufExporter.write(config, overflowing, Gpt2Tokenizer.vocabulary(), GgmlType.F32, Map.of(), init);
        Path out = dir.resolve("run");
        String[] args = {"train", "--datastore", ds.toString(), "--knn", knn.toString(), "--init", init.toString(),
                "--batch", "1", "--save-every", "1", "--valid-fraction", "0", "--threads", "1", "--out", out.toString()};

        CliRun r = run(args);
        Path good = out.resolve("checkpoints").resolve("step-000000003");
        assertEquals(1, r.code(), r.err());
        assertEquals("memdec train: loss is NaN at step 3 (epoch 1, training windows 3..3); stopped without applying it. "
                + "The last good checkpoint is " + good + ".\n", r.err());
        assertEquals(java.util.Optional.of(good), Checkpoint.latest(out));
        TrainingState state = Checkpoint.readState(good);
        assertEquals(3, state.step());
        assertTrue(state.steps().stream().allMatch(l -> Float.isFinite(l.loss())), state.steps().toString());
        FileTime written = Files.getLastModifiedTime(good.resolve(Checkpoint.MODEL));

        CliRun again = run(args);
        assertEquals(r.err(), again.err(), "the rerun resumes at step 3 and stops there again");
        assertEquals(written, Files.getLastModifiedTime(good.resolve(Checkpoint.MODEL)),
                "a resumed run must not rewrite the checkpoint it started from");
        CliRun export = run("export", "--checkpoint", out.toString(), "--out", dir.resolve("last-good.gguf").toString(),
                "--type", "f32");
        assertEquals(0, export.code(), export.err());
    }

    @Test
    void gpuDeviceNeedsACudaEngine(@TempDir Path dir) throws Exception {
        Path corpus = corpus(dir, "corpus.txt", 12);
        Path ds = datastore(dir.resolve("ds"), 1, true, corpus);
        Path knn = knn(ds, dir.resolve("knn"));
        CliRun r = run("train", "--datastore", ds.toString(), "--knn", knn.toString(), "--shape", "1x32x2",
                "--threads", "1", "--device", "gpu", "--out", dir.resolve("run").toString());
        Engine engine = Engine.getEngine("PyTorch");
        if (engine.hasCapability(StandardCapabilities.CUDA) && engine.getGpuCount() > 0) {
            assertEquals(0, r.code(), r.err());
        } else {
            assertEquals(1, r.code());
            assertTrue(r.err().startsWith("memdec train: --device gpu: "), r.err());
            assertTrue(r.err().contains("PYTORCH_FLAVOR=cu128") || r.err().contains("sees no GPU"), r.err());
        }
        CliRun bad = run("train", "--datastore", ds.toString(), "--knn", knn.toString(), "--shape", "1x32x2",
                "--device", "tpu", "--out", dir.resolve("run").toString());
        assertEquals("memdec train: --device must be cpu or gpu, got 'tpu'\n", bad.err());
    }
}

package dev.memdec.trainer.cli;

import static dev.memdec.plugin.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.converter.mlp.MlpMemoryGguf;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.plugin.cli.CliRun;
import dev.memdec.plugin.mlp.MlpMemory;
import dev.memdec.plugin.retrieval.Datastore;
import dev.memdec.trainer.model.MlpLm;
import dev.memdec.trainer.model.MlpLmParityTest;
import dev.memdec.trainer.train.Checkpoint;
import dev.memdec.trainer.train.TrainingState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * train-mlp over a small real datastore + kNN directory (random keys standing in for a host's states, 8 wide), then
 * export: the memdec-mlp GGUF names its host and runs in the runtime with the trainer's logits; and the refusals.
 */
class TrainMlpCommandTest {

    private static final int DIM = 8;

    private static Path host(Path dir, String name, int embd) throws Exception {
        Gpt2Config config = Gpt2Config.of(1, embd, 2, 32, Gpt2Tokenizer.VOCAB_SIZE);
        Path host = dir.resolve(name);
        Gpt2GgufExporter.write(config, new RandomGpt2Weights(config, 9), Gpt2Tokenizer.vocabulary(), GgmlType.F16,
                Map.of(), host);
        return host;
    }

    @Test
    void trainsResumesAndExportsAMemoryTheRuntimeRunsIdentically(@TempDir Path dir) throws Exception {
        Path corpus = TrainCommandTest.corpus(dir, "corpus.txt", 30);
        Path ds = TrainCommandTest.datastore(dir.resolve("ds"), 1, true, corpus);
        Path knn = TrainCommandTest.knn(ds, dir.resolve("knn"));
        Path host = host(dir, "host.gguf", DIM);
        Path out = dir.resolve("run");
        String[] args = {"train-mlp", "--datastore", ds.toString(), "--knn", knn.toString(), "--layers", "2",
                "--width", "16", "--batch", "4", "--epochs", "2", "--lr", "1e-2", "--threads", "1",
                "--host", host.toString(), "--out", out.toString(), "--json"};
        CliRun r = run(args);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("is not the file the datastore was built from"), r.err());
        JsonObject summary = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("mlp gpt2 2x16", summary.get("shape").getAsString());
        assertTrue(summary.get("last_loss").getAsDouble() < summary.get("first_loss").getAsDouble(), r.out());
        assertTrue(summary.get("valid_ppl_memory").getAsDouble() > 1, r.out());
        assertTrue(summary.get("valid_ppl_joint").getAsDouble() > 1, r.out());
        assertTrue(Files.isRegularFile(out.resolve("loss.png")));
        long steps = summary.get("steps").getAsLong();

        CliRun again = run(args);   // finished: resumes at the last step and trains no more
        assertEquals(0, again.code(), again.err());
        assertEquals(steps, JsonParser.parseString(again.out()).getAsJsonObject().get("steps").getAsLong());

        Path gguf = dir.resolve("mlp.gguf");
        CliRun export = run("export", "--checkpoint", out.toString(), "--out", gguf.toString());
        assertEquals(0, export.code(), export.err());
        MlpMemoryConfig c;
        try (GgufFile f = GgufFile.open(gguf)) {
            c = MlpMemoryGguf.read(f);
            assertEquals("mlp-memory", f.getString("memdec.kind"));
            assertTrue(f.getString("memdec.knn").startsWith("k 8, temperature 4.0"), f.getString("memdec.knn"));
        }
        assertEquals(new MlpMemoryConfig.Host("gpt2", DIM, "ffn_norm-0", "ab".repeat(32)), c.host());
        assertEquals(Gpt2Tokenizer.vocabulary().sha256(), c.tokenizerSha256());
        assertEquals(0.25f, c.defaultLambda());
        assertEquals(Gpt2Tokenizer.VOCAB_SIZE, c.vocab());
        assertTrue(c.projects());

        // the runtime reads the exported file and gives the checkpoint's logits on the datastore's own keys
        int n = 6;
        float[] keys = new float[n * DIM];
        try (Datastore store = Datastore.open(ds)) {
            store.readKeys(0, n, keys);
        }
        Path checkpoint = Checkpoint.resolve(out);
        TrainingState state = Checkpoint.readState(checkpoint);
        float[] djl;
        try (NDManager m = NDManager.newBaseManager("PyTorch");
             MlpLm model = MlpLm.create(m, state.mlp(), Checkpoint.modelTensors(m, checkpoint))) {
            djl = model.forward(m.create(keys, new Shape(n, DIM))).toFloatArray();
        }
        double worst = MlpLmParityTest.maxDifference(MlpMemory.open(gguf), keys, n, djl);
        assertTrue(worst <= 1e-4, "trained checkpoint vs exported GGUF in the runtime: " + worst);
    }

    @Test
    void refusesAnotherHostAKeylessDatastoreAndAMisshapenCheckpointWritingNothing(@TempDir Path dir) throws Exception {
        Path corpus = TrainCommandTest.corpus(dir, "corpus.txt", 12);
        Path ds = TrainCommandTest.datastore(dir.resolve("ds"), 1, true, corpus);
        Path knn = TrainCommandTest.knn(ds, dir.resolve("knn"));
        Path out = dir.resolve("run");

        Path wide = host(dir, "wide.gguf", 16);
        CliRun width = run("train-mlp", "--datastore", ds.toString(), "--knn", knn.toString(), "--layers", "1",
                "--host", wide.toString(), "--out", out.toString());
        assertEquals(1, width.code());
        assertEquals("memdec train-mlp: --host " + wide + ": n_embd (gpt2.embedding_length) is 16 but the datastore's "
                + "keys are 8 wide (datastore.json field 'spec.dimension'); an MLP memory reads the hidden states of the "
                + "host the datastore was built with\n", width.err());

        CliRun noHost = run("train-mlp", "--datastore", ds.toString(), "--knn", knn.toString(), "--layers", "1",
                "--out", out.toString());
        assertEquals(1, noHost.code());
        assertEquals("memdec train-mlp: --datastore " + ds + ": its host 'host.gguf' (datastore.json field "
                + "'spec.host.path') is not found here; give it with --host\n", noHost.err());

        Path host = host(dir, "host.gguf", DIM);
        CliRun flavour = run("train-mlp", "--datastore", ds.toString(), "--knn", knn.toString(), "--layers", "1",
                "--flavour", "bert", "--host", host.toString(), "--out", out.toString());
        assertEquals("memdec train-mlp: flavour must be 'gpt2' or 'llama', got 'bert'\n", flavour.err());
        assertFalse(Files.exists(out), "a refused run writes nothing");

        Files.delete(ds.resolve("keys.f16"));
        CliRun keyless = run("train-mlp", "--datastore", ds.toString(), "--knn", knn.toString(), "--layers", "1",
                "--host", host.toString(), "--out", out.toString());
        assertEquals(1, keyless.code());
        assertEquals(1, keyless.err().lines().count(), keyless.err());
        assertTrue(keyless.err().contains(ds.resolve("keys.f16") + ": datastore data file missing"), keyless.err());
        assertFalse(Files.exists(out), "a refused run writes nothing");
    }

    @Test
    void exportRefusesACheckpointWhoseTensorDoesNotFitItsShape(@TempDir Path dir) throws Exception {
        Path corpus = TrainCommandTest.corpus(dir, "corpus.txt", 12);
        Path ds = TrainCommandTest.datastore(dir.resolve("ds"), 1, true, corpus);
        Path knn = TrainCommandTest.knn(ds, dir.resolve("knn"));
        Path host = host(dir, "host.gguf", DIM);
        Path out = dir.resolve("run");
        CliRun r = run("train-mlp", "--datastore", ds.toString(), "--knn", knn.toString(), "--layers", "1",
                "--batch", "8", "--threads", "1", "--host", host.toString(), "--valid-fraction", "0", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        // the state now claims a narrower MLP hidden layer (ff 31) than the tensors model.ndlist holds (ff 32)
        Path checkpoint = Checkpoint.resolve(out);
        Path stateFile = checkpoint.resolve(Checkpoint.STATE);
        String json = Files.readString(stateFile);
        assertTrue(json.contains("\"ff\": 32,"), json);
        Files.writeString(stateFile, json.replace("\"ff\": 32,", "\"ff\": 31,"));
        Path gguf = dir.resolve("mlp.gguf");
        CliRun export = run("export", "--checkpoint", out.toString(), "--out", gguf.toString());
        assertEquals(1, export.code());
        assertEquals(1, export.err().lines().count(), export.err());
        assertTrue(export.err().contains("model.ndlist: tensor blk.0.ffn_up.weight holds 256 values, its shape [31, 8] "
                + "needs 248"), export.err());
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains("mlp.gguf")), "nothing half-written");
        }
    }
}

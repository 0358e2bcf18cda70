package dev.memdec.trainer.cli;

import static dev.memdec.plugin.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.plugin.cli.CliRun;
import dev.memdec.plugin.cli.Main;
import dev.memdec.plugin.retrieval.TestDatastores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerCommandsTest {

    @TempDir
    Path tmp;

    @Test
    void commandsAreDiscoveredAndKnnRuns() throws IOException {
        assertTrue(Main.commandLine().getSubcommands().containsKey("knn"));
        assertTrue(Main.commandLine().getSubcommands().containsKey("datastore"));
        Path ds = tmp.resolve("ds");
        TestDatastores.write(ds, 8, IntStream.range(0, 50).map(i -> i % 5).toArray(), r -> r).close();
        CliRun ok = run("knn", "--datastore", ds.toString(), "--out", tmp.resolve("knn").toString(), "--k", "8");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(Files.exists(tmp.resolve("knn/knn.json")));
    }

    @Test
    void knnRecallMeasuresTheFinishedIndexAgainstExactSearch() throws IOException {
        Path ds = tmp.resolve("ds");
        TestDatastores.write(ds, 8, IntStream.range(0, 60).map(i -> i % 5).toArray(), r -> r).close();
        Path knn = tmp.resolve("knn");
        CliRun none = run("knn", "--datastore", ds.toString(), "--out", knn.toString(), "--recall", "20");
        assertEquals(1, none.code());
        assertTrue(none.err().contains("holds no finished kNN directory"), none.err());
        assertTrue(Files.notExists(knn.resolve("knn.json")), "--recall builds nothing");
        assertEquals(0, run("knn", "--datastore", ds.toString(), "--out", knn.toString(), "--k", "8").code());
        CliRun flat = run("knn", "--datastore", ds.toString(), "--out", knn.toString(), "--recall", "20", "--json");
        assertEquals(0, flat.code(), flat.err());
        JsonObject r = JsonParser.parseString(flat.out()).getAsJsonObject();
        assertEquals(20, r.get("queries").getAsInt());
        assertEquals(8, r.get("k").getAsInt());
        assertEquals(1.0, r.getAsJsonArray("points").get(0).getAsJsonObject().get("recall").getAsDouble(), 1e-9,
                "a flat index is exact");
        CliRun bad = run("knn", "--datastore", ds.toString(), "--out", knn.toString(), "--recall", "0");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--recall must be >= 1, got 0"), bad.err());
    }

    /** The host was trained with a context of 64: the default window 1024 is capped to it, the stride to half. */
    @Test
    void datastoreDefaultsFitTheHostsTrainingContext() throws IOException {
        Gpt2Config c = Gpt2Config.of(1, 32, 2, 64, Gpt2Tokenizer.VOCAB_SIZE);
        Path host = tmp.resolve("host.gguf");
        Gpt2GgufExporter.write(c, new RandomGpt2Weights(c, 5), Gpt2Tokenizer.vocabulary(), GgmlType.F32, Map.of(), host);
        Path corpus = Files.writeString(tmp.resolve("c.txt"), "The whale swam past the ship, and the ship sailed on. "
                .repeat(4));
        CliRun ok = run("datastore", "--host", host.toString(), "--corpus", corpus.toString(), "--out",
                tmp.resolve("ds").toString(), "--threads", "1", "--json");
        assertEquals(0, ok.code(), ok.err());
        JsonObject spec = JsonParser.parseString(ok.out()).getAsJsonObject().getAsJsonObject("spec");
        assertEquals(64, spec.get("windowCtx").getAsInt(), ok.out());
        assertEquals(32, spec.get("windowStride").getAsInt(), ok.out());
        CliRun wide = run("datastore", "--host", host.toString(), "--corpus", corpus.toString(), "--out",
                tmp.resolve("ds2").toString(), "--ctx", "128");
        assertEquals(1, wide.code());
        assertTrue(wide.err().contains("--ctx 128 exceeds the host's training context 64"), wide.err());
    }

    @Test
    void badFlagsAndInputsFailWithOneLine() throws IOException {
        Path ds = tmp.resolve("ds");
        TestDatastores.write(ds, 8, IntStream.range(0, 20).toArray(), r -> r).close();
        CliRun k = run("knn", "--datastore", ds.toString(), "--out", tmp.resolve("o").toString(), "--k", "0");
        assertEquals(1, k.code());
        assertTrue(k.err().contains("memdec knn: --k must be in [1, 16384], got 0"), k.err());
        CliRun index = run("knn", "--datastore", ds.toString(), "--out", tmp.resolve("o").toString(), "--index", "hnsw");
        assertEquals(1, index.code());
        assertTrue(index.err().contains("--index 'hnsw'"), index.err());
        CliRun missing = run("knn", "--datastore", tmp.resolve("nope").toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("datastore.json: not found"), missing.err());
        assertEquals(2, run("knn", "--datastore", ds.toString()).code(), "missing --out is a usage error");
        CliRun corpus = run("datastore", "--host", tmp.resolve("h.gguf").toString(), "--corpus",
                tmp.resolve("none.txt").toString(), "--out", tmp.resolve("d").toString());
        assertEquals(1, corpus.code());
        assertTrue(corpus.err().contains("none.txt: no such file"), corpus.err());
        CliRun key = run("datastore", "--host", "h.gguf", "--corpus", "c.txt", "--out", "d", "--key", "middle");
        assertEquals(1, key.code());
        assertTrue(key.err().contains("key type 'middle'"), key.err());
    }
}

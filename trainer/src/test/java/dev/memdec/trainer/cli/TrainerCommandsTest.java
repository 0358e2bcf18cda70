package dev.memdec.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.plugin.cli.Main;
import dev.memdec.trainer.datastore.TestDatastores;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TrainerCommandsTest {

    @TempDir
    Path tmp;

    record Run(int code, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, err.toString());
    }

    @Test
    void commandsAreDiscoveredAndKnnRuns() throws IOException {
        assertTrue(Main.commandLine().getSubcommands().containsKey("knn"));
        assertTrue(Main.commandLine().getSubcommands().containsKey("datastore"));
        Path ds = tmp.resolve("ds");
        TestDatastores.write(ds, 8, IntStream.range(0, 50).map(i -> i % 5).toArray(), r -> r).close();
        Run ok = run("knn", "--datastore", ds.toString(), "--out", tmp.resolve("knn").toString(), "--k", "8");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(Files.exists(tmp.resolve("knn/knn.json")));
    }

    @Test
    void badFlagsAndInputsFailWithOneLine() throws IOException {
        Path ds = tmp.resolve("ds");
        TestDatastores.write(ds, 8, IntStream.range(0, 20).toArray(), r -> r).close();
        Run k = run("knn", "--datastore", ds.toString(), "--out", tmp.resolve("o").toString(), "--k", "0");
        assertEquals(1, k.code());
        assertTrue(k.err().contains("memdec knn: --k must be in [1, 16384], got 0"), k.err());
        Run index = run("knn", "--datastore", ds.toString(), "--out", tmp.resolve("o").toString(), "--index", "hnsw");
        assertEquals(1, index.code());
        assertTrue(index.err().contains("--index 'hnsw'"), index.err());
        Run missing = run("knn", "--datastore", tmp.resolve("nope").toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("datastore.json: not found"), missing.err());
        assertEquals(2, run("knn", "--datastore", ds.toString()).code(), "missing --out is a usage error");
        Run corpus = run("datastore", "--host", tmp.resolve("h.gguf").toString(), "--corpus",
                tmp.resolve("none.txt").toString(), "--out", tmp.resolve("d").toString());
        assertEquals(1, corpus.code());
        assertTrue(corpus.err().contains("none.txt: no such file"), corpus.err());
        Run key = run("datastore", "--host", "h.gguf", "--corpus", "c.txt", "--out", "d", "--key", "middle");
        assertEquals(1, key.code());
        assertTrue(key.err().contains("key type 'middle'"), key.err());
    }
}

package dev.memdec.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.memdec.plugin.cli.Main;
import dev.memdec.trainer.datastore.TestDatastores;
import dev.memdec.trainer.knn.KnnManifest;
import dev.memdec.trainer.stop.StoppableProcess;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * SIGTERM to a real {@code memdec knn} process between FAISS searches: it stops before a chunk with the chunks
 * before it checkpointed and exits with SIGTERM's status, and a rerun writes the bytes of an uninterrupted run.
 */
class KnnGracefulStopTest {

    private static String[] knn(Path datastore, Path out) {
        return new String[] {"knn", "--datastore", datastore.toString(), "--out", out.toString(), "--index", "flat",
                "--k", "1024"};
    }

    private static void memdec(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(0, cl.execute(args), err.toString());
    }

    @Test
    void sigtermStopsBeforeAChunkAndTheRerunWritesTheSameBytes(@TempDir Path dir) throws Exception {
        Path datastore = dir.resolve("datastore");
        // 4,092 rows per chunk at k = 1024: three chunks.
        TestDatastores.large(datastore, 16, 12_000, 500).close();
        Path out = dir.resolve("interrupted");

        StoppableProcess p = StoppableProcess.start(dir, Main.class, knn(datastore, out));
        p.terminateWhen(() -> Files.exists(out.resolve(".progress.json")));   // the index is written
        p.assertStoppedGracefully("memdec: stop requested; knn stops at the next chunk boundary",
                "memdec: knn stopped on request after row ");
        assertFalse(Files.exists(out.resolve(KnnManifest.FILE)), "the interrupted run must not be finished");

        memdec(knn(datastore, out));
        Path straight = dir.resolve("straight");
        memdec(knn(datastore, straight));
        for (String f : List.of(KnnManifest.FILE, KnnManifest.INDEX_FILE, "offsets.i64", "tokens.i32",
                "probs.f16", "labels.i32")) {
            assertArrayEquals(Files.readAllBytes(straight.resolve(f)), Files.readAllBytes(out.resolve(f)), f);
        }
    }
}

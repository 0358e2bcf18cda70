package dev.memdec.trainer.cli;

import static dev.memdec.plugin.cli.CliRun.succeed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.memdec.plugin.cli.Main;
import dev.memdec.plugin.retrieval.KnnManifest;
import dev.memdec.plugin.retrieval.TestDatastores;
import dev.memdec.trainer.stop.StoppableProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a real {@code memdec knn} process between FAISS searches: it stops before a chunk with the chunks
 * before it checkpointed and exits with SIGTERM's status, and a rerun writes the bytes of an uninterrupted run.
 */
class KnnGracefulStopTest {

    private static String[] knn(Path datastore, Path out) {
        return new String[] {"knn", "--datastore", datastore.toString(), "--out", out.toString(), "--index", "flat",
                "--k", "1024"};
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

        succeed(knn(datastore, out));
        Path straight = dir.resolve("straight");
        succeed(knn(datastore, straight));
        for (String f : List.of(KnnManifest.FILE, KnnManifest.INDEX_FILE, "offsets.i64", "tokens.i32",
                "probs.f16", "labels.i32")) {
            assertArrayEquals(Files.readAllBytes(straight.resolve(f)), Files.readAllBytes(out.resolve(f)), f);
        }
    }
}

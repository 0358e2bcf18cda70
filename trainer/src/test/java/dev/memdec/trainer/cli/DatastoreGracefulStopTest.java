package dev.memdec.trainer.cli;

import static dev.memdec.plugin.cli.CliRun.succeed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.plugin.cli.Main;
import dev.memdec.plugin.retrieval.DatastoreManifest;
import dev.memdec.trainer.stop.StoppableProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a real {@code memdec datastore} process while it decodes windows in llama.cpp: it stops after a
 * window with its output checkpointed and exits with SIGTERM's status instead of crashing inside the decode, and
 * a rerun finishes the same datastore an uninterrupted run builds.
 */
class DatastoreGracefulStopTest {

    private static String[] datastore(Path host, Path corpus, Path out) {
        return new String[] {"datastore", "--host", host.toString(), "--corpus", corpus.toString(), "--out",
                out.toString(), "--ctx", "16", "--stride", "4", "--threads", "1"};
    }

    @Test
    void sigtermStopsAfterAWindowAndTheRerunFinishesTheSameDatastore(@TempDir Path dir) throws Exception {
        Gpt2Config c = Gpt2Config.of(2, 64, 2, 64, Gpt2Tokenizer.VOCAB_SIZE);
        Path host = dir.resolve("host.gguf");
        Gpt2GgufExporter.write(c, new RandomGpt2Weights(c, 7), Gpt2Tokenizer.vocabulary(), GgmlType.F32, Map.of(), host);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            text.append("Line ").append(i).append(": the whale swam past ship number ").append(i * 7).append(".\n");
        }
        Path corpus = Files.writeString(dir.resolve("corpus.txt"), text);
        Path out = dir.resolve("interrupted");

        StoppableProcess p = StoppableProcess.start(dir, Main.class, datastore(host, corpus, out));
        p.terminateWhen(() -> Files.exists(out.resolve(".progress.json")));
        p.assertStoppedGracefully("memdec: stop requested; datastore stops at the next window boundary",
                "memdec: datastore stopped on request after window ");
        assertFalse(Files.exists(out.resolve(DatastoreManifest.FILE)), "the interrupted datastore must not be finished");

        succeed(datastore(host, corpus, out));
        Path straight = dir.resolve("straight");
        succeed(datastore(host, corpus, straight));
        for (String file : new String[] {DatastoreManifest.KEYS_FILE, DatastoreManifest.VALUES_FILE,
                DatastoreManifest.TOKENS_FILE}) {
            assertTrue(Files.exists(straight.resolve(file)), file);
            assertArrayEquals(Files.readAllBytes(straight.resolve(file)), Files.readAllBytes(out.resolve(file)), file);
        }
    }
}

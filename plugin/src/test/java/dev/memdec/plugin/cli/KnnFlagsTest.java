package dev.memdec.plugin.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --knn on the runtime commands where only the plugin is on the class path (no trainer, no retriever). */
class KnnFlagsTest {

    @TempDir
    static Path dir;
    static Path text;
    static Path host;
    static Path memory;

    @BeforeAll
    static void models() throws Exception {
        host = dir.resolve("host.gguf");
        memory = dir.resolve("memory.gguf");
        Gpt2Config c = Gpt2Config.of(2, 64, 2, 128, Gpt2Tokenizer.VOCAB_SIZE);
        Gpt2GgufExporter.write(c, new RandomGpt2Weights(c, 11), Gpt2Tokenizer.vocabulary(), GgmlType.F32, Map.of(), host);
        Files.copy(host, memory);
        text = Files.writeString(dir.resolve("text.txt"), "The whale swam past the ship.\n");
    }

    static void refused(String expected, String... args) {
        CliRun r = CliRun.run(args);
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains(expected), r.err());
    }

    @Test
    void knnRunsInThePluginAloneAndNamesTheMissingManifest() {
        // The retrieval package is part of the plugin: no trainer module (and no DJL) is needed, so an empty
        // directory gets as far as its missing knn.json.
        refused("knn.json: not found", "perplexity", "--host", host.toString(),
                "--knn", dir.toString(), "--datastore", dir.toString(), "--text", text.toString(), "--lambda", "0.5");
        refused("knn.json: not found", "bench", "--host", host.toString(),
                "--memory", memory.toString(), "--knn", dir.toString(), "--datastore",
                dir.toString(), "--tokens", "2");
        refused("knn.json: not found", "perplexity", "--host", host.toString(),
                "--knn", dir.toString(), "--text", text.toString(), "--lambda", "0.5");
    }

    @Test
    void badKnnFlagsAreRefusedBeforeLoading() {
        String host = KnnFlagsTest.host.toString();
        refused("need --knn", "perplexity", "--host", host, "--knn-k", "4", "--text", text.toString());
        refused("--knn-k must be >= 1", "perplexity", "--host", host, "--knn", dir.toString(), "--datastore",
                dir.toString(), "--knn-k", "0", "--text", text.toString());
        refused("--knn-temp must be", "perplexity", "--host", host, "--knn", dir.toString(), "--datastore",
                dir.toString(), "--knn-temp", "-1", "--text", text.toString());
        refused("need --memory or --knn", "perplexity", "--host", host, "--lambda", "0.5", "--text", text.toString());
    }
}

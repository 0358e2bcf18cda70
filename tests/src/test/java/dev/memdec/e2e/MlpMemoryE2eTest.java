package dev.memdec.e2e;

import static dev.memdec.plugin.cli.CliRun.succeed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.trainer.demo.DemoPipeline;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole MLP memory path through the CLI: the shipped demo host (4x256x4, 1,024-token BPE, trained on Brown)
 * → {@code datastore} over the first 500 lines of Moby-Dick → {@code knn} → {@code train-mlp} → {@code export} →
 * {@code perplexity --memory mlp.gguf} on the last 200 lines, which neither the host nor the memory has seen.
 * Host + MLP memory must beat the host alone there, and λ = 0 must be the host exactly.
 */
class MlpMemoryE2eTest {

    @Test
    void trainedMlpMemoryLowersHeldOutDomainPerplexity(@TempDir Path dir) throws Exception {
        Path host = dir.resolve("host.gguf");
        try (InputStream in = DemoPipeline.class.getResourceAsStream("host.gguf")) {
            Files.copy(in, host);
        }
        List<String> lines = TinyGpt2.text(3000).lines().toList();
        Path train = dir.resolve("moby-train.txt");
        Path held = dir.resolve("moby-held-out.txt");
        Files.writeString(train, String.join("\n", lines.subList(0, 500)) + "\n");
        Files.writeString(held, String.join("\n", lines.subList(2800, lines.size())) + "\n");
        Path ds = dir.resolve("ds");
        Path knn = dir.resolve("knn");
        Path run = dir.resolve("run");
        Path mlp = dir.resolve("mlp.gguf");
        succeed("datastore", "--host", host.toString(), "--corpus", train.toString(), "--out", ds.toString(),
                "--ctx", "128", "--stride", "64", "--threads", "2");
        succeed("knn", "--datastore", ds.toString(), "--out", knn.toString(), "--index", "flat", "--k", "64");
        String trained = succeed("train-mlp", "--datastore", ds.toString(), "--knn", knn.toString(), "--layers", "2",
                "--epochs", "1", "--batch", "8", "--lr", "2e-3", "--threads", "2", "--valid-fraction", "0.05",
                "--host", host.toString(), "--out", run.toString(), "--json").out();
        System.err.println("train-mlp: " + trained);
        succeed("export", "--checkpoint", run.toString(), "--out", mlp.toString());
        JsonObject ppl = JsonParser.parseString(succeed("perplexity", "--host", host.toString(), "--memory",
                mlp.toString(), "--text", held.toString(), "--ctx", "128", "--stride", "64", "--threads", "2",
                "--lambda-sweep", "0,0.25", "--json").out()).getAsJsonObject();
        double hostPpl = ppl.get("host_ppl").getAsDouble();
        JsonArray joint = ppl.getAsJsonArray("joint");
        double lambdaZero = joint.get(0).getAsJsonObject().get("ppl").getAsDouble();
        double withMemory = joint.get(1).getAsJsonObject().get("ppl").getAsDouble();
        System.err.printf("held-out Moby-Dick (%d tokens): host %.3f, host + MLP memory (lambda 0.25) %.3f%n",
                ppl.get("tokens").getAsLong(), hostPpl, withMemory);
        assertEquals(hostPpl, lambdaZero, 0.0, "lambda 0 must give the host exactly");
        assertTrue(withMemory < hostPpl, "host + MLP memory " + withMemory + " must beat the host " + hostPpl);
    }
}

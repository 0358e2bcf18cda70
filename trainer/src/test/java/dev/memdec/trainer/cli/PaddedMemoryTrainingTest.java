package dev.memdec.trainer.cli;

import static dev.memdec.plugin.cli.CliRun.succeed;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.tokenizer.BpeTrainer;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.PaddingRows;
import dev.memdec.plugin.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 6, training side: a host whose tokenizer llama.cpp's converter padded with {@code [PAD<id>]} rows (as
 * Qwen2.5's 151,936 rows pad a 151,665-token tokenizer). Training resizes the memory to the tokenizer's length, as the
 * reference's {@code resize_token_embeddings(len(tokenizer))} does (reference-spec §7.4): warm starts from the padded
 * qwen2 host and from a padded gpt2, and a fresh memory with the host's tokenizer, all export real-size rows and tokens, which llama.cpp loads and the
 * memory gate and the joint perplexity accept next to the padded host.
 */
class PaddedMemoryTrainingTest {

    private static final int CTX = 32;
    private static final int PADDING = 200;

    @TempDir
    static Path dir;
    static Path host;
    static Path ds;
    static Path knn;
    static Path heldOut;
    static int real;

    /** {@code v} with padding rows up to {@code rows}, as llama.cpp's converter writes them (type UNUSED). */
    private static BpeVocabulary padded(BpeVocabulary v, int rows) {
        List<String> tokens = new ArrayList<>(v.tokens());
        for (int id = tokens.size(); id < rows; id++) {
            tokens.add(PaddingRows.name(id));
        }
        int[] types = Arrays.copyOf(v.tokenTypes(), rows);
        Arrays.fill(types, v.size(), rows, 5);
        return new BpeVocabulary(v.model(), v.pre(), tokens, types, v.merges(), v.bos(), v.eos(), v.pad(), v.addBos());
    }

    @BeforeAll
    static void paddedHostDatastoreAndKnn() throws Exception {
        Path corpus = Files.writeString(dir.resolve("train.txt"), MemoryForAnyHostTest.domain(0, 60));
        heldOut = Files.writeString(dir.resolve("held-out.txt"), MemoryForAnyHostTest.domain(60, 20));
        BpeVocabulary vocab = BpeTrainer.train(List.of(MemoryForAnyHostTest.domain(0, 60)), 300);
        real = vocab.size();
        BpeVocabulary paddedVocab = padded(vocab, real + PADDING);
        DecoderFamily qwen2 = DecoderFamilies.byName("qwen2").orElseThrow();
        RopeDecoderConfig c = RopeDecoderConfig.of(1, 32, 4, 2, 64, paddedVocab.size(), CTX).withTiedOutput(true);
        host = dir.resolve("host-padded.gguf");
        DecoderGgufWriter.write(qwen2, c, paddedVocab, new RandomDecoderWeights(qwen2.tensors(c), 11), GgmlType.F32,
                Map.of(), host);
        ds = dir.resolve("ds");
        knn = dir.resolve("knn");
        MemoryForAnyHostTest.datastoreAndKnn(host, corpus, ds, knn);
    }

    /** Exports {@code run}, checks the memory has the real rows and tokens, and returns its joint perplexity. */
    private static double exportedAtRealSize(Path run, String arch) throws Exception {
        Path memory = dir.resolve(run.getFileName() + ".gguf");
        succeed("export", "--checkpoint", run.toString(), "--out", memory.toString());
        try (GgufFile f = GgufFile.open(memory); GgufFile h = GgufFile.open(host)) {
            assertEquals(arch, f.architecture());
            assertEquals(real, f.metadata().get(GgufKeys.TOKENIZER_TOKENS).arrayLength(), "tokens");
            assertEquals(real, f.metadata().get(GgufKeys.TOKENIZER_TOKEN_TYPE).arrayLength(), "token types");
            assertEquals(real, f.tensor("token_embd.weight").orElseThrow().elementCount() / 32, "token_embd rows");
            assertEquals(Integer.toString(PADDING), f.metadata().get(TrainCommand.PADDING_ROWS_DROPPED).asString());
            assertEquals(h.metadata().get(GgufKeys.TOKENIZER_MERGES), f.metadata().get(GgufKeys.TOKENIZER_MERGES));
            assertEquals(h.metadata().get(GgufKeys.TOKENIZER_TOKENS).asStringList().subList(0, real),
                    f.metadata().get(GgufKeys.TOKENIZER_TOKENS).asStringList());
        }
        // llama.cpp loads host and memory, the gate passes although they are 200 rows apart, and they mix
        CliRun gen = succeed("generate", "--host", host.toString(), "--memory", memory.toString(), "--lambda", "0.5",
                "--prompt", "The crew", "--max-tokens", "2", "--greedy", "--threads", "1", "--ctx", String.valueOf(CTX),
                "--json");
        assertTrue(gen.out().contains("\"text\""), gen.out());
        CliRun r = succeed("perplexity", "--host", host.toString(), "--memory", memory.toString(), "--text",
                heldOut.toString(), "--ctx", String.valueOf(CTX), "--stride", "16", "--lambda", "0.5", "--threads", "1",
                "--json");
        JsonObject ppl = JsonParser.parseString(r.out()).getAsJsonObject();
        double joint = ppl.getAsJsonArray("joint").get(0).getAsJsonObject().get("ppl").getAsDouble();
        assertTrue(joint > 1 && Double.isFinite(joint), r.out());
        return joint;
    }

    /** One epoch of {@code train --init init} into {@code name}. */
    private static Path warmStart(Path init, String name) {
        Path run = dir.resolve(name);
        succeed("train", "--datastore", ds.toString(), "--knn", knn.toString(), "--init", init.toString(),
                "--out", run.toString(), "--epochs", "1", "--batch", "4", "--threads", "1");
        return run;
    }

    @Test
    void aWarmStartFromAPaddedHostDropsItsPaddingRows() throws Exception {
        exportedAtRealSize(warmStart(host, "warm"), "qwen2");
    }

    @Test
    void aWarmStartFromAPaddedGpt2DropsItsPaddingRows() throws Exception {
        Path init = dir.resolve("gpt2-padded.gguf");
        succeed("init", "--arch", "gpt2", "--tokenizer-from", host.toString(), "--seed", "5", "--layers", "1",
                "--embd", "32", "--heads", "4", "--ctx", String.valueOf(CTX), "--out", init.toString());
        try (GgufFile f = GgufFile.open(init)) {
            assertEquals(real + PADDING, f.metadata().get(GgufKeys.TOKENIZER_TOKENS).arrayLength());
        }
        exportedAtRealSize(warmStart(init, "warm-gpt2"), "gpt2");
    }

    @Test
    void aFreshMemoryWithAPaddedHostsTokenizerHasOnlyRealRows() throws Exception {
        Path run = dir.resolve("fresh");
        // --host: the trainer's joint validation reads the padded host resized alike, so its width is the memory's
        CliRun train = succeed("train", "--datastore", ds.toString(), "--knn", knn.toString(), "--shape", "1x32x4x2",
                "--tokenizer-from", host.toString(), "--host", host.toString(), "--out", run.toString(), "--epochs", "6",
                "--batch", "4", "--lr", "1e-2", "--threads", "1", "--json");
        JsonObject report = JsonParser.parseString(train.out()).getAsJsonObject();
        assertTrue(report.has("valid_ppl_joint") && report.get("valid_ppl_joint").getAsDouble() > 1, train.out());
        double joint = exportedAtRealSize(run, "llama");
        CliRun r = succeed("perplexity", "--host", host.toString(), "--text", heldOut.toString(), "--ctx",
                String.valueOf(CTX), "--stride", "16", "--threads", "1", "--json");
        double hostPpl = JsonParser.parseString(r.out()).getAsJsonObject().get("host_ppl").getAsDouble();
        System.out.printf("padded host %.2f, host + real-size llama memory (lambda 0.5) %.2f%n", hostPpl, joint);
        assertTrue(joint < 0.5 * hostPpl, "host " + hostPpl + ", joint " + joint);
    }
}

package dev.memdec.trainer.cli;

import static dev.memdec.plugin.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.Gpt2ReferenceModel;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.plugin.cli.CliRun;
import dev.memdec.trainer.model.Gpt2Lm;
import dev.memdec.trainer.model.OwnedArrays;
import dev.memdec.trainer.train.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pretrain → export → reference forward, and the commands' refusals, on a 1-layer 32-wide model. */
class CommandsTest {

    private static Path corpus(Path dir) throws Exception {
        Path text = dir.resolve("corpus.txt");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            sb.append("The whale swam ").append(i % 7).append(" leagues north, and the sailors sang. ");
        }
        Files.writeString(text, sb.toString());
        return text;
    }

    @Test
    void pretrainExportAndReferenceLogitsAgree(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        CliRun train = run("pretrain", "--corpus", corpus(dir).toString(), "--shape", "1x32x2", "--ctx", "32",
                "--seq", "32", "--batch", "2", "--epochs", "2", "--lr", "1e-2", "--threads", "1", "--out", out.toString(), "--json");
        assertEquals(0, train.code(), train.err());
        JsonObject summary = JsonParser.parseString(train.out()).getAsJsonObject();
        assertTrue(summary.get("last_loss").getAsDouble() < summary.get("first_loss").getAsDouble(), train.out());
        assertTrue(Files.size(out.resolve("loss.png")) > 1000);

        Path gguf = dir.resolve("memory.gguf");
        CliRun export = run("export", "--checkpoint", out.toString(), "--out", gguf.toString(), "--type", "f32");
        assertEquals(0, export.code(), export.err());

        int[] tokens = Gpt2Tokenizer.get().encode("The whale swam 3 leagues north");
        float[][] reference;
        try (GgufFile f = GgufFile.open(gguf)) {
            assertEquals("1", f.getString("memdec.format_version"));
            assertEquals(Gpt2Tokenizer.vocabulary().sha256(), f.getString("memdec.tokenizer_sha256"));
            assertEquals("0.55", f.getString("memdec.lambda_default"));
            assertEquals("1.0", f.getString("memdec.temperature_default"));
            assertTrue(f.getString("memdec.corpus_sha256").matches("[0-9a-f]{64}"));
            assertTrue(f.getString("memdec.training").contains("\"steps\""));
            reference = Gpt2ReferenceModel.load(f, false).logits(tokens);
        }
        try (NDManager m = NDManager.newBaseManager("PyTorch");
             Gpt2Lm model = Gpt2Lm.create(m, Checkpoint.readState(Checkpoint.resolve(out)).shape(),
                     Checkpoint.modelTensors(m, Checkpoint.resolve(out)))) {
            long[] ids = new long[tokens.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = tokens[i];
            }
            float[] djl = model.forward(OwnedArrays.longs(m, ids, new Shape(1, ids.length))).toFloatArray();
            int vocab = model.config().vocab();
            double maxDiff = 0;
            for (int t = 0; t < tokens.length; t++) {
                for (int v = 0; v < vocab; v++) {
                    maxDiff = Math.max(maxDiff, Math.abs(djl[t * vocab + v] - reference[t][v]));
                }
            }
            assertTrue(maxDiff <= 1e-3, "max |DJL - reference| = " + maxDiff);
        }
    }

    @Test
    void refusesInitModelWithAnotherTokenizer(@TempDir Path dir) throws Exception {
        BpeVocabulary gpt2 = Gpt2Tokenizer.vocabulary();
        List<String> tokens = new ArrayList<>(gpt2.tokens());
        tokens.set(1000, "\u0120memdec-renamed");
        BpeVocabulary other = new BpeVocabulary(gpt2.model(), gpt2.pre(), tokens, gpt2.tokenTypes(), gpt2.merges(),
                gpt2.bos(), gpt2.eos(), gpt2.pad(), gpt2.addBos());
        Gpt2Config config = Gpt2Config.of(1, 32, 2, 32, tokens.size());
        Path init = dir.resolve("other.gguf");
        Gpt2GgufExporter.write(config, new RandomGpt2Weights(config, 1), other, GgmlType.F32, Map.of(), init);
        CliRun r = run("pretrain", "--corpus", corpus(dir).toString(), "--init", init.toString(), "--seq", "32",
                "--out", dir.resolve("run").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("memdec pretrain: --init " + init + ": its tokenizer (sha256 "), r.err());
        assertTrue(r.err().contains("is not the tokenizer of the training data"), r.err());
    }

    @Test
    void rejectsBadFlags(@TempDir Path dir) throws Exception {
        CliRun seq = run("pretrain", "--corpus", corpus(dir).toString(), "--shape", "1x32x2", "--ctx", "16", "--seq", "32",
                "--out", dir.resolve("a").toString());
        assertEquals("memdec pretrain: --seq must be in [2, 16] (the model context), got 32\n", seq.err());
        CliRun shape = run("pretrain", "--corpus", corpus(dir).toString(), "--shape", "1x30x4", "--out", dir.toString());
        assertTrue(shape.err().contains("--shape 1x30x4: "), shape.err());
        CliRun both = run("pretrain", "--corpus", "x", "--shape", "1x32x2", "--init", "y.gguf", "--out", dir.toString());
        assertEquals(2, both.code());
        CliRun type = run("export", "--checkpoint", dir.toString(), "--out", dir.resolve("m.gguf").toString(), "--type", "q5");
        assertEquals("memdec export: --type: expected f32, f16, q8_0 or q4_0, got 'q5'\n", type.err());
    }
}

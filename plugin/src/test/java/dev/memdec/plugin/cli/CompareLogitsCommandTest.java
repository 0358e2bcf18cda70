package dev.memdec.plugin.cli;

import static dev.memdec.plugin.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
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

/** compare-logits through the real command line: a model made F32 and then quantized with quantize. */
class CompareLogitsCommandTest {

    @TempDir
    static Path dir;
    static Path f32;
    static Path q8;
    static Path text;

    @BeforeAll
    static void models() throws Exception {
        Gpt2Config c = Gpt2Config.of(2, 64, 2, 64, Gpt2Tokenizer.VOCAB_SIZE);
        f32 = dir.resolve("f32.gguf");
        q8 = dir.resolve("q8_0.gguf");
        Gpt2GgufExporter.write(c, new RandomGpt2Weights(c, 3), Gpt2Tokenizer.vocabulary(), GgmlType.F32, Map.of(), f32);
        CliRun quantized = run("quantize", "--in", f32.toString(), "--out", q8.toString(), "--type", "q8_0");
        assertEquals(0, quantized.code(), quantized.err());
        text = dir.resolve("text.txt");
        Files.writeString(text, "Call me Ishmael. Some years ago, never mind how long precisely, having little or no "
                + "money in my purse, and nothing particular to interest me on shore. ".repeat(2));
    }

    @Test
    void jsonReportsEveryStatistic() {
        CliRun r = run("compare-logits", "--ref", f32.toString(), "--test", q8.toString(), "--text", text.toString(),
                "--ctx", "32", "--stride", "16", "--threads", "1", "--max-tokens", "40", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(39, o.get("tokens").getAsLong(), "40 tokens give 39 scored positions");
        assertTrue(o.get("mean_kl").getAsDouble() > 0, r.out());
        assertTrue(o.get("max_kl").getAsDouble() >= o.get("p99_kl").getAsDouble(), r.out());
        double sameTop = o.get("same_top_percent").getAsDouble();
        assertTrue(sameTop >= 0 && sameTop <= 100, r.out());
        assertEquals(o.get("test_ppl").getAsDouble() / o.get("ref_ppl").getAsDouble(),
                o.get("ppl_ratio").getAsDouble(), 1e-9);
    }

    @Test
    void textOutputNamesEachStatisticAndDefaultsTheStrideToHalfTheWindow() {
        CliRun r = run("compare-logits", "--ref", f32.toString(), "--test", f32.toString(), "--text", text.toString(),
                "--ctx", "32", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(ctx 32, stride 16)"), r.out());
        assertTrue(r.out().contains("mean KL(ref||test)  0.0000e+00 +/- 0.0e+00 nats"), r.out());
        assertTrue(r.out().contains("same top token      100.000"), r.out());
    }

    @Test
    void defaultWindowIsCappedByTheTrainingContext() {
        CliRun r = run("compare-logits", "--ref", f32.toString(), "--test", q8.toString(), "--text", text.toString(),
                "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(ctx 64, stride 32)"), "default 512 capped to the training context 64: " + r.out());
    }

    @Test
    void badFlagsExitWithAMessage() {
        CliRun missing = run("compare-logits", "--ref", dir.resolve("none.gguf").toString(), "--test", q8.toString(),
                "--text", text.toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("--ref") && missing.err().contains("none.gguf"), missing.err());
        CliRun ctx = run("compare-logits", "--ref", f32.toString(), "--test", q8.toString(), "--text", text.toString(),
                "--ctx", "4096");
        assertEquals(1, ctx.code());
        assertTrue(ctx.err().contains("--ctx 4096 exceeds the training context 64"), ctx.err());
        CliRun noText = run("compare-logits", "--ref", f32.toString(), "--test", q8.toString(), "--text",
                dir.resolve("none.txt").toString());
        assertEquals(1, noText.code());
        assertTrue(noText.err().contains("--text"), noText.err());
    }
}

package dev.memdec.converter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.gguf.GgmlType;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {

    @TempDir
    Path dir;
    Path model;

    @BeforeEach
    void writeModel() throws IOException {
        model = dir.resolve("tiny.gguf");
        CliRunner.writeGpt2Like(model, GgmlType.Q8_0);
    }

    @Test
    void printsArchitectureHyperParametersTokenizerAndTensors() {
        CliRunner.Result r = CliRunner.run(new InspectCommand(), model.toString());
        assertEquals(0, r.exitCode(), r.err());
        String out = r.out();
        assertTrue(out.contains("architecture:  gpt2"), out);
        assertTrue(out.contains("gpt2.embedding_length = 64 (UINT32)"), out);
        assertTrue(out.contains("vocab_size   10"), out);
        assertTrue(out.contains("merges       2"), out);
        assertTrue(out.contains("sha256       " + "ab".repeat(32)), out);
        assertTrue(out.contains("memdec.lambda_default = 0.25 (FLOAT32)"), out);
        assertTrue(out.matches("(?s).*blk\\.0\\.attn_qkv\\.weight\\s+Q8_0\\s+\\[64, 192\\]\\s+13,056.*"), out);
        assertTrue(out.contains("tensors:       9,"), out);
    }

    @Test
    void printsJson() {
        CliRunner.Result r = CliRunner.run(new InspectCommand(), model.toString(), "--json", "--verify");
        assertEquals(0, r.exitCode(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("gpt2", json.get("architecture").getAsString());
        assertEquals(1, json.getAsJsonObject("hyperparameters").get("gpt2.block_count").getAsInt());
        assertEquals(9, json.getAsJsonObject("tokenizer").get("eos").getAsInt());
        assertEquals(9, json.getAsJsonArray("tensors").size());
        JsonObject first = json.getAsJsonArray("tensors").get(0).getAsJsonObject();
        assertEquals("token_embd.weight", first.get("name").getAsString());
        assertEquals(10, first.getAsJsonArray("shape").get(1).getAsInt());
        assertTrue(json.getAsJsonObject("verify").get("ok").getAsBoolean());
    }

    @Test
    void verifyDetectsChangedTensorData() throws IOException {
        CliRunner.Result ok = CliRunner.run(new InspectCommand(), model.toString(), "--verify");
        assertEquals(0, ok.exitCode(), ok.err());
        assertTrue(ok.out().contains("verify:        OK"), ok.out());
        try (RandomAccessFile raf = new RandomAccessFile(model.toFile(), "rw")) {
            long at = raf.length() - 100;
            raf.seek(at);
            int b = raf.read();
            raf.seek(at);
            raf.write(b ^ 1);
        }
        CliRunner.Result bad = CliRunner.run(new InspectCommand(), model.toString(), "--verify");
        assertEquals(1, bad.exitCode());
        assertTrue(bad.err().contains("tensor data SHA-256 mismatch"), bad.err());
    }

    @Test
    void verifyFailsWithoutAStoredHash() throws IOException {
        Path plain = dir.resolve("plain.gguf");
        new dev.memdec.converter.gguf.GgufWriter().putString("general.architecture", "gpt2").write(plain);
        CliRunner.Result r = CliRunner.run(new InspectCommand(), plain.toString(), "--verify");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("no memdec.tensor_data_sha256 key"), r.err());
    }

    @Test
    void badInputGivesOneClearLineAndNonZeroExit() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.gguf"), "hello, not a model\n");
        String[][] cases = {
            {dir.resolve("missing.gguf").toString(), "no such file"},
            {dir.toString(), "is a directory"},
            {text.toString(), "not a GGUF file"},
        };
        for (String[] c : cases) {
            CliRunner.Result r = CliRunner.run(new InspectCommand(), c[0]);
            assertEquals(1, r.exitCode(), c[0]);
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("memdec inspect: ") && r.err().contains(c[1]), r.err());
            assertTrue(r.err().contains(c[0]), r.err());
        }
        assertEquals(2, CliRunner.run(new InspectCommand()).exitCode()); // usage error: no FILE
    }
}

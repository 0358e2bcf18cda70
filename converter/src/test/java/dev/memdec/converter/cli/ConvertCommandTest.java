package dev.memdec.converter.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.hf.HfArchitecture;
import dev.memdec.converter.hf.SyntheticHfCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConvertCommandTest {

    @TempDir
    Path dir;

    private static ConvertCommand parse(String... args) {
        ConvertCommand c = new ConvertCommand();
        new CommandLine(c).parseArgs(args);
        return c;
    }

    @Test
    void isRegisteredAsAService() {
        assertTrue(ServiceLoader.load(MemdecCommand.class).stream().anyMatch(p -> p.type() == ConvertCommand.class));
    }

    @Test
    void convertsAndReportsJson() throws Exception {
        Path ckpt = dir.resolve("qwen");
        SyntheticHfCheckpoint.tiny(HfArchitecture.QWEN2).writeTo(ckpt);
        Path out = dir.resolve("q.gguf");
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, parse("--from-hf", ckpt.toString(), "--out", out.toString(), "--type", "Q8_0", "--json").call());
        } finally {
            System.setOut(saved);
        }
        JsonObject json = JsonParser.parseString(buf.toString(StandardCharsets.UTF_8)).getAsJsonObject();
        assertEquals("qwen2", json.get("architecture").getAsString());
        assertEquals(26, json.get("tensors").getAsInt());
        assertEquals(Files.size(out), json.get("output_bytes").getAsLong());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(GgmlType.Q8_0, f.tensor("blk.1.ffn_up.weight").orElseThrow().type());
        }
    }

    @Test
    void rejectsUnknownTypeAndMissingDirectory() throws IOException {
        Path ckpt = Files.createDirectories(dir.resolve("c"));
        String m = assertThrows(IllegalArgumentException.class,
                () -> parse("--from-hf", ckpt.toString(), "--out", dir.resolve("x.gguf").toString(), "--type", "q5_k").call()).getMessage();
        assertTrue(m.contains("--type q5_k"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> parse("--from-hf", dir.resolve("nope").toString(), "--out", dir.resolve("x.gguf").toString()).call()).getMessage();
        assertTrue(m.contains("--from-hf") && m.contains("not a directory"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> parse("--from-hf", ckpt.toString(), "--out", dir.resolve("x.gguf").toString()).call()).getMessage();
        assertTrue(m.contains("config.json"), m);
        assertFalse(Files.exists(dir.resolve("x.gguf")));
        assertEquals(2, new CommandLine(new ConvertCommand()).execute("--out", "x.gguf"), "--from-hf is required");
    }
}

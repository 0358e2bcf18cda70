package dev.memdec.converter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gpt2.Gpt2Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class InitCommandTest {

    @TempDir
    Path dir;

    private static void run(String... args) throws Exception {
        InitCommand command = new InitCommand();
        new CommandLine(command).parseArgs(args);
        command.call();
    }

    @Test
    void writesARequestedShape() throws Exception {
        Path out = dir.resolve("m.gguf");
        run("--layers", "1", "--embd", "32", "--heads", "2", "--ctx", "16", "--seed", "3", "--type", "q4_0",
                "--out", out.toString());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(Gpt2Config.of(1, 32, 2, 16, 50257), Gpt2Config.fromGguf(f));
            assertEquals(GgmlType.Q4_0, f.tensor("blk.0.ffn_down.weight").orElseThrow().type());
            assertEquals("random gpt2, seed 3", f.getString("memdec.init"));
        }
    }

    @Test
    void sameSeedWritesIdenticalBytes() throws Exception {
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        run("--layers", "1", "--embd", "8", "--heads", "2", "--ctx", "4", "--seed", "9", "--out", a.toString());
        run("--layers", "1", "--embd", "8", "--heads", "2", "--ctx", "4", "--seed", "9", "--out", b.toString());
        assertEquals(-1, Files.mismatch(a, b));
    }

    @Test
    void isRegisteredAsService() {
        assertTrue(ServiceLoader.load(MemdecCommand.class).stream().anyMatch(p -> p.type() == InitCommand.class));
    }

    @Test
    void outOfRangeFlagsNameTheFlag() {
        String out = dir.resolve("x.gguf").toString();
        String[][] cases = {
                {"--layers", "--layers", "0", "--embd", "8", "--heads", "2", "--ctx", "4", "--out", out},
                {"--layers", "--layers", "97", "--embd", "8", "--heads", "2", "--ctx", "4", "--out", out},
                {"--embd", "--layers", "1", "--embd", "0", "--heads", "2", "--ctx", "4", "--out", out},
                {"--embd", "--layers", "1", "--embd", "10", "--heads", "4", "--ctx", "4", "--out", out},
                {"--embd", "--layers", "1", "--embd", "48", "--heads", "4", "--ctx", "4", "--type", "q8_0", "--out", out},
                {"--heads", "--layers", "1", "--embd", "8", "--heads", "129", "--ctx", "4", "--out", out},
                {"--ctx", "--layers", "1", "--embd", "8", "--heads", "2", "--ctx", "40000", "--out", out},
                {"--ctx", "--layers", "1", "--embd", "8", "--heads", "2", "--out", out},
                {"--type", "--layers", "1", "--embd", "8", "--heads", "2", "--ctx", "4", "--type", "q5_1", "--out", out},
                {"--arch", "--arch", "llama", "--preset", "small", "--out", out},
                {"--vocab", "--vocab", "qwen2", "--preset", "small", "--out", out},
                {"--preset", "--preset", "large", "--out", out},
                {"--out", "--layers", "1", "--embd", "8", "--heads", "2", "--ctx", "4", "--out", dir.resolve("x.bin").toString()},
                {"--out", "--layers", "1", "--embd", "8", "--heads", "2", "--ctx", "4", "--out", dir.resolve("no/x.gguf").toString()},
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(args), String.join(" ", args));
            assertTrue(e.getMessage().startsWith(c[0]), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("x.gguf")));
    }
}

package dev.memdec.converter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufValue;
import dev.memdec.converter.gguf.GgufWriter;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.hf.TokenizerJsonFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
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
    void everyFamilyTakesATokenizerJsonAndAnotherFileCopiesItExactly() throws Exception {
        Path bpe = TokenizerJsonFixtures.byteLevelBpe(dir.resolve("bpe"));
        Path spm = TokenizerJsonFixtures.sentencePieceBpe(dir.resolve("spm"));
        for (String arch : new String[] {"gpt2", "llama", "qwen2", "qwen3", "gemma3", "phi3"}) {
            for (Path json : new Path[] {bpe, spm}) {
                Path first = dir.resolve(arch + "-1.gguf");
                Path second = dir.resolve(arch + "-2.gguf");
                java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--arch", arch, "--layers", arch.equals("gemma3") ? "6" : "1", "--embd",
                        "32", "--heads", "4", "--ctx", "32", "--tokenizer-from", json.toString(), "--out", first.toString()));
                if (!arch.equals("gpt2")) {
                    args.addAll(java.util.List.of("--kv-heads", "2"));
                }
                run(args.toArray(String[]::new));
                run("--arch", arch.equals("qwen3") ? "llama" : "qwen3", "--layers", "1", "--embd", "16", "--heads", "2",
                        "--ctx", "32", "--seed", "4", "--tokenizer-from", first.toString(), "--out", second.toString());
                try (GgufFile a = GgufFile.open(first); GgufFile b = GgufFile.open(second)) {
                    assertEquals(arch, a.architecture());
                    Map<String, GgufValue> ta = tokenizerKeys(a);
                    assertEquals(ta, tokenizerKeys(b), arch + " from " + json);
                    assertEquals(a.find("memdec.tokenizer_sha256"), b.find("memdec.tokenizer_sha256"));
                    long rows = a.tensor("token_embd.weight").orElseThrow().ne()[1];
                    assertEquals(ta.get("tokenizer.ggml.tokens").arrayLength(), rows);
                    if (json == bpe) {
                        assertEquals("qwen2", ta.get("tokenizer.ggml.pre").asString());
                        assertTrue(a.find("memdec.tokenizer_sha256").isPresent());
                    } else {
                        assertEquals("llama", ta.get("tokenizer.ggml.model").asString());
                        assertEquals(2, ta.get("tokenizer.ggml.bos_token_id").asLong());
                        assertEquals(1, ta.get("tokenizer.ggml.eos_token_id").asLong());
                        assertFalse(ta.get("tokenizer.ggml.add_space_prefix").asBool());
                        assertEquals(6, ta.get("tokenizer.ggml.token_type").asInt32Array()[4 + 'a'], "<0x61> is a byte piece");
                    }
                }
            }
        }
    }

    private static Map<String, GgufValue> tokenizerKeys(GgufFile f) {
        Map<String, GgufValue> out = new TreeMap<>();
        f.metadata().forEach((k, v) -> {
            if (k.startsWith("tokenizer.")) {
                out.put(k, v);
            }
        });
        return out;
    }

    @Test
    void badShapesAndTokenizersNameTheFlagAndWriteNothing() throws Exception {
        String out = dir.resolve("x.gguf").toString();
        Path bpe = TokenizerJsonFixtures.byteLevelBpe(dir.resolve("bpe"));
        Path empty = dir.resolve("no-tokenizer.gguf");
        new GgufWriter().putString("general.architecture", "llama").write(empty);
        Path notJson = dir.resolve("tokenizer.json.txt");
        Files.writeString(notJson, "hello");
        Path wordLevel = dir.resolve("wl/tokenizer.json");
        Files.createDirectories(wordLevel.getParent());
        Files.writeString(wordLevel, "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {}}}");
        String[][] cases = {
                {"--arch", "--arch", "mamba", "--layers", "1", "--embd", "32", "--heads", "4", "--ctx", "8", "--out", out},
                {"--tokenizer-from", "--arch", "qwen3", "--layers", "1", "--embd", "32", "--heads", "4", "--ctx", "8",
                        "--tokenizer-from", empty.toString(), "--out", out},
                {"--tokenizer-from", "--arch", "qwen3", "--layers", "1", "--embd", "32", "--heads", "4", "--ctx", "8",
                        "--tokenizer-from", notJson.toString(), "--out", out},
                {"--tokenizer-from", "--arch", "qwen3", "--layers", "1", "--embd", "32", "--heads", "4", "--ctx", "8",
                        "--tokenizer-from", wordLevel.toString(), "--out", out},
                {"--tokenizer-from", "--arch", "qwen3", "--layers", "1", "--embd", "32", "--heads", "4", "--ctx", "8",
                        "--tokenizer-from", dir.resolve("missing.json").toString(), "--out", out},
                {"--embd", "--arch", "llama", "--layers", "1", "--embd", "32", "--heads", "3", "--ctx", "8",
                        "--tokenizer-from", bpe.toString(), "--out", out},
                {"--kv-heads", "--arch", "qwen3", "--layers", "1", "--embd", "32", "--heads", "4", "--kv-heads", "3",
                        "--ctx", "8", "--tokenizer-from", bpe.toString(), "--out", out},
                {"--embd", "--arch", "gemma3", "--layers", "1", "--embd", "20", "--heads", "4", "--ctx", "8",
                        "--tokenizer-from", bpe.toString(), "--out", out},
                {"--arch", "--arch", "gemma3", "--layers", "2", "--embd", "32", "--heads", "4", "--ctx", "8",
                        "--tokenizer-from", bpe.toString(), "--out", out},
                {"--kv-heads", "--arch", "gpt2", "--layers", "1", "--embd", "32", "--heads", "4", "--kv-heads", "2",
                        "--ctx", "8", "--out", out},
                {"--vocab", "--arch", "llama", "--vocab", "gpt2", "--layers", "1", "--embd", "32", "--heads", "4",
                        "--ctx", "8", "--tokenizer-from", bpe.toString(), "--out", out},
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(args), String.join(" ", args));
            assertTrue(e.getMessage().startsWith(c[0]), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("x.gguf")));
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
                {"--arch", "--arch", "mamba", "--preset", "small", "--out", out},
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

package dev.memdec.plugin.cli;

import static dev.memdec.plugin.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.converter.mlp.MlpMemoryGguf;
import dev.memdec.converter.mlp.RandomMlpWeights;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.natives.llama.RuntimeProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** generate, perplexity and bench through the real command line on tiny models. */
class RuntimeCommandsTest {

    @TempDir
    static Path dir;
    static Path host;
    static Path memory;

    @BeforeAll
    static void models() throws Exception {
        host = dir.resolve("host.gguf");
        memory = dir.resolve("memory.gguf");
        Gpt2Config h = Gpt2Config.of(2, 64, 2, 128, Gpt2Tokenizer.VOCAB_SIZE);
        Gpt2Config m = Gpt2Config.of(1, 32, 2, 128, Gpt2Tokenizer.VOCAB_SIZE);
        Gpt2GgufExporter.write(h, new RandomGpt2Weights(h, 11), Gpt2Tokenizer.vocabulary(), GgmlType.F32, Map.of(), host);
        Gpt2GgufExporter.write(m, new RandomGpt2Weights(m, 12), Gpt2Tokenizer.vocabulary(), GgmlType.F32, Map.of(), memory);
    }

    @Test
    void generateJsonHasTextTokensIdsAndTimings() {
        CliRun r = run("generate", "--host", host.toString(), "--memory", memory.toString(), "--lambda", "0.5",
                "--prompt", "Hello world", "--max-tokens", "5", "--greedy", "--threads", "1", "--ctx", "64", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        JsonArray ids = o.getAsJsonArray("token_ids");
        assertEquals(5, ids.size());
        assertEquals(5, o.getAsJsonArray("tokens").size());
        assertEquals("length", o.get("finish_reason").getAsString());
        assertTrue(o.getAsJsonObject("timings").get("generated_tokens").getAsInt() == 5);
        StringBuilder joined = new StringBuilder();
        o.getAsJsonArray("tokens").forEach(t -> joined.append(t.getAsString()));
        assertEquals(joined.toString(), o.get("text").getAsString());

        CliRun streamed = run("generate", "--host", host.toString(), "--memory", memory.toString(), "--lambda", "0.5",
                "--prompt", "Hello world", "--max-tokens", "5", "--greedy", "--threads", "1", "--ctx", "64");
        assertEquals(0, streamed.code(), streamed.err());
        assertEquals(o.get("text").getAsString() + System.lineSeparator(), streamed.out());
        CliRun logit = run("generate", "--host", host.toString(), "--memory", memory.toString(), "--lambda", "0.5",
                "--mix", "logit", "--prompt", "Hello world", "--max-tokens", "5", "--greedy", "--threads", "1",
                "--ctx", "64", "--json");
        assertEquals(0, logit.code(), logit.err());
        assertEquals(5, JsonParser.parseString(logit.out()).getAsJsonObject().getAsJsonArray("token_ids").size());
    }

    @Test
    void perplexityJsonSweepAndPlot() throws Exception {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "It was the best of times, it was the worst of times. ".repeat(12));
        Path png = dir.resolve("ppl.png");
        CliRun r = run("perplexity", "--host", host.toString(), "--memory", memory.toString(), "--lambda-sweep",
                "0,0.5,1", "--text", text.toString(), "--ctx", "64", "--stride", "32", "--threads", "1", "--json",
                "--plot", png.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertTrue(o.get("tokens").getAsLong() > 100);
        JsonArray joint = o.getAsJsonArray("joint");
        assertEquals(3, joint.size());
        assertEquals(0.5, joint.get(1).getAsJsonObject().get("lambda").getAsDouble());
        assertEquals(o.get("host_ppl").getAsDouble(), joint.get(0).getAsJsonObject().get("ppl").getAsDouble(), 1e-9);
        byte[] head = Arrays.copyOf(Files.readAllBytes(png), 4);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head);
    }

    @Test
    void benchReportsEveryMeasure() throws Exception {
        MlpMemoryConfig c = MlpMemoryConfig.gpt2(32, 1, Gpt2Tokenizer.VOCAB_SIZE,
                new MlpMemoryConfig.Host("gpt2", 64, "ffn_norm-1", ""), Gpt2Tokenizer.vocabulary().sha256());
        Path mlp = dir.resolve("mlp.gguf");
        MlpMemoryGguf.write(c, new RandomMlpWeights(c, 5), GgmlType.Q8_0, Map.of(), mlp);
        CliRun r = run("bench", "--host", host.toString(), "--memory", memory.toString(), "--tokens", "3",
                "--prompt-tokens", "8", "--rounds", "1", "--threads", "1", "--json", "--mix", "logit",
                "--mlp-memory", mlp.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("logit", o.get("mix").getAsString());
        for (String key : new String[] {"mlp_ms_per_token", "mlp_forward_ms_per_token", "mlp_over_joint",
                "mlp_over_host", "mlp_bandwidth_limit_fraction"}) {
            assertTrue(o.get(key).getAsDouble() > 0, key + " in " + r.out());
        }
        // auto: ggml on v0.5.0, the Java kernels on b4916; each engine can be asked for by name.
        boolean v050 = dev.memdec.natives.llama.RuntimeProfile.selected() == dev.memdec.natives.llama.RuntimeProfile.V0_5_0;
        assertTrue(o.get("mlp_kernel").getAsString().startsWith(v050 ? "ggml (llama.cpp runtime" : "vector"),
                o.get("mlp_kernel").getAsString());
        for (String engine : new String[] {"ggml", "java"}) {
            CliRun named = run("bench", "--host", host.toString(), "--memory", memory.toString(), "--tokens", "2",
                    "--prompt-tokens", "4", "--rounds", "1", "--threads", "1", "--json", "--mlp-memory", mlp.toString(),
                    "--mlp-engine", engine);
            assertEquals(0, named.code(), named.err());
            String kernel = JsonParser.parseString(named.out()).getAsJsonObject().get("mlp_kernel").getAsString();
            assertTrue(kernel.startsWith(engine.equals("ggml") ? "ggml (llama.cpp runtime" : "vector"), kernel);
        }
        CliRun bad = run("bench", "--host", host.toString(), "--memory", memory.toString(), "--mlp-memory",
                mlp.toString(), "--mlp-engine", "cuda");
        assertEquals(1, bad.code(), bad.err());
        assertTrue(bad.err().contains("--mlp-engine must be auto, ggml or java, got 'cuda'"), bad.err());
        assertEquals(o.get("mlp_ms_per_token").getAsDouble() / o.get("host_ms_per_token").getAsDouble(),
                o.get("mlp_over_host").getAsDouble(), 1e-9);
        assertEquals(o.get("joint_ms_per_token").getAsDouble() / o.get("host_ms_per_token").getAsDouble(),
                o.get("joint_over_host").getAsDouble(), 1e-9);
        for (String key : new String[] {"mlp_forward_alone_ms", "mlp_alone_bandwidth_limit_fraction",
                "mlp_forward_in_step_over_alone"}) {
            assertTrue(o.get(key).getAsDouble() > 0, key + " in " + r.out());
        }
        assertEquals(o.get("mlp_forward_ms_per_token").getAsDouble() / o.get("mlp_forward_alone_ms").getAsDouble(),
                o.get("mlp_forward_in_step_over_alone").getAsDouble(), 1e-9);
        // A step reads one row of each looked-up table: the 2x64 host's tensors less all but one row of token_embd
        // (it has its own output.weight) and of position_embd (128 rows) — F32, 64 floats a row.
        long tensors;
        try (GgufFile f = GgufFile.open(host)) {
            tensors = f.tensors().stream().mapToLong(GgufTensorInfo::byteSize).sum();
            assertTrue(f.tensor("output.weight").isPresent());
        }
        long row = 64 * Float.BYTES;
        assertEquals(tensors - (Gpt2Tokenizer.VOCAB_SIZE - 1) * row - (128 - 1) * row, o.get("host_bytes").getAsLong());
        long bytes = o.get("mlp_bytes").getAsLong();
        assertTrue(bytes > c.parameterCount() && bytes < c.parameterCount() * 2, "Q8_0 stays quantized: " + bytes);
        for (String key : new String[] {"host_tokens_per_second", "joint_tokens_per_second", "mix_share",
                "joint_over_host_plus_memory", "peak_rss_bytes", "read_bandwidth_bytes_per_second",
                "bandwidth_limit_fraction", "host_prefill_tokens_per_second", "joint_memory_decode_ms_per_token",
                "joint_host_decode_ms_per_token"}) {
            assertTrue(o.get(key).getAsDouble() > 0, key + " in " + r.out());
        }
        // the host's and the memory's decodes are parts of the joint step, and the rest is what is left of it
        double joint = o.get("joint_ms_per_token").getAsDouble();
        double parts = o.get("joint_host_decode_ms_per_token").getAsDouble()
                + o.get("joint_memory_decode_ms_per_token").getAsDouble() + o.get("mix_ms_per_token").getAsDouble();
        assertTrue(parts < joint, r.out());
        assertEquals(joint - parts, o.get("joint_other_ms_per_token").getAsDouble(), 1e-9, r.out());
        // one ratio per round, their median reported
        var rounds = o.getAsJsonArray("joint_over_host_plus_memory_rounds");
        assertEquals(o.get("rounds").getAsInt(), rounds.size(), r.out());
        assertEquals(RuntimeProfile.selected().id(), o.get("runtime").getAsString());
        assertEquals("none", o.get("gpu_backend").getAsString());
    }

    @Test
    void initMlpWritesAMemoryItsHostAccepts() throws Exception {
        Path mlp = dir.resolve("init-mlp.gguf");
        assertEquals(0, run("init-mlp", "--host", host.toString(), "--blocks", "2", "--width", "32", "--type", "q8_0",
                "--out", mlp.toString()).code());
        CliRun r = run("generate", "--host", host.toString(), "--memory", mlp.toString(), "--prompt", "Hello",
                "--max-tokens", "3", "--greedy", "--threads", "1", "--ctx", "64", "--json", "--mix", "logit");
        assertEquals(0, r.code(), r.err());
        assertEquals(3, JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonArray("token_ids").size());
        CliRun bad = run("init-mlp", "--host", host.toString(), "--blocks", "0", "--out", mlp.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--blocks must be >= 1"), bad.err());
    }

    /** Both models were trained with a context of 128: the defaults fit it, explicit values that do not are refused. */
    @Test
    void defaultsAreCappedByTheTrainingContext() throws Exception {
        CliRun bench = run("bench", "--host", host.toString(), "--memory", memory.toString(), "--rounds", "1",
                "--threads", "1", "--json");
        assertEquals(0, bench.code(), bench.err());
        JsonObject o = JsonParser.parseString(bench.out()).getAsJsonObject();
        assertEquals(80, o.get("prompt_tokens").getAsInt(), "two thirds of 128 - 8");
        assertEquals(40, o.get("tokens").getAsInt(), "the rest of 128 - 8");
        CliRun tooLong = run("bench", "--host", host.toString(), "--memory", memory.toString(), "--prompt-tokens",
                "200", "--rounds", "1", "--threads", "1");
        assertEquals(1, tooLong.code());
        assertTrue(tooLong.err().contains("exceeds the host's training context 128"), tooLong.err());

        Path text = Files.writeString(dir.resolve("long.txt"), "It was the age of wisdom, it was the age of foolishness. "
                .repeat(30));
        CliRun byDefault = run("perplexity", "--host", host.toString(), "--memory", memory.toString(), "--text",
                text.toString(), "--threads", "1", "--json");
        CliRun explicit = run("perplexity", "--host", host.toString(), "--memory", memory.toString(), "--text",
                text.toString(), "--threads", "1", "--json", "--ctx", "128", "--stride", "64");
        assertEquals(0, byDefault.code(), byDefault.err());
        assertEquals(explicit.out(), byDefault.out(), "default window 1024 capped to 128, stride half of it");
        CliRun wide = run("perplexity", "--host", host.toString(), "--text", text.toString(), "--ctx", "512");
        assertEquals(1, wide.code());
        assertTrue(wide.err().contains("context size 512 exceeds the host's training context 128"), wide.err());
    }

    @Test
    void badInputIsAClearErrorNotACrash() throws Exception {
        CliRun lambda = run("generate", "--host", host.toString(), "--memory", memory.toString(), "--lambda", "1.5",
                "--prompt", "x");
        assertEquals(1, lambda.code());
        assertTrue(lambda.err().contains("lambda must be in [0, 1]"), lambda.err());
        CliRun temp = run("generate", "--host", host.toString(), "--prompt", "x", "--temp", "0");
        assertEquals(1, temp.code());
        assertTrue(temp.err().contains("--temp"), temp.err());
        CliRun missing = run("generate", "--host", host.toString(), "--memory", dir.resolve("none.gguf").toString(),
                "--prompt", "x", "--threads", "1", "--ctx", "64");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("memory model file not found"), missing.err());
        CliRun both = run("perplexity", "--host", host.toString(), "--memory", memory.toString(), "--lambda", "0.5",
                "--lambda-sweep", "0,1", "--text", "x");
        assertEquals(2, both.code(), "picocli usage error");
        CliRun tooLong = run("generate", "--host", host.toString(), "--prompt", "word ".repeat(100), "--ctx", "32",
                "--threads", "1");
        assertEquals(1, tooLong.code());
        assertTrue(tooLong.err().contains("context"), tooLong.err());
        for (String[] command : new String[][] {{"generate", "--prompt", "x"}, {"perplexity", "--text", "x"},
                {"bench"}}) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(command));
            args.addAll(java.util.List.of("--host", host.toString(), "--memory", memory.toString(), "--mix", "sum"));
            CliRun mix = run(args.toArray(String[]::new));
            assertEquals(1, mix.code(), command[0] + ": " + mix.err());
            assertEquals("memdec " + command[0] + ": --mix must be 'prob' or 'logit', got 'sum'", mix.err().strip());
        }
        CliRun noMemory = run("perplexity", "--host", host.toString(), "--lambda", "0.5", "--text", "x");
        assertEquals(1, noMemory.code());
        assertTrue(noMemory.err().contains("--memory"), noMemory.err());
        CliRun badRuntime = run("generate", "--runtime", "b9999", "--host", host.toString(), "--prompt", "x");
        assertEquals(2, badRuntime.code(), badRuntime.err());
        assertTrue(badRuntime.err().contains("--runtime: unknown llama.cpp runtime 'b9999': expected b4916 or v0.5.0"),
                badRuntime.err());
        // this test process already runs one profile (the other needs a fresh process): one line, exit 1
        dev.memdec.natives.llama.RuntimeProfile other = dev.memdec.natives.llama.LlamaRuntime.get().profile()
                == dev.memdec.natives.llama.RuntimeProfile.B4916 ? dev.memdec.natives.llama.RuntimeProfile.V0_5_0
                : dev.memdec.natives.llama.RuntimeProfile.B4916;
        CliRun switched = run("generate", "--runtime", other.id(), "--host", host.toString(), "--prompt", "x");
        assertTrue(switched.code() != 0 && switched.err().contains("needs a new process"), switched.err());
        CliRun gpu = run("generate", "--host", host.toString(), "--prompt", "x", "--gpu-layers", "4");
        assertEquals(1, gpu.code());
        assertTrue(gpu.err().contains("--gpu-layers 4: llama.cpp") && gpu.err().contains("is a CPU build"),
                gpu.err());
        CliRun negative = run("generate", "--host", host.toString(), "--prompt", "x", "--gpu-layers", "-2");
        assertEquals(1, negative.code());
        assertEquals("memdec generate: --gpu-layers must be >= 0, got -2", negative.err().strip());
        CliRun devices = run("devices", "--json");
        assertEquals(0, devices.code(), devices.err());
        JsonObject d = JsonParser.parseString(devices.out()).getAsJsonObject();
        assertEquals(RuntimeProfile.selected().id(), d.get("runtime").getAsString());
        assertEquals("none", d.get("gpu_backend").getAsString());
        assertEquals(0, d.get("gpu_devices").getAsJsonArray().size());
        assertTrue(d.get("system_info").getAsString().contains("AVX"), devices.out());
        CliRun badBackend = run("generate", "--gpu-backend", "metal", "--host", host.toString(), "--prompt", "x");
        assertEquals(2, badBackend.code(), badBackend.err());
        assertTrue(badBackend.err().contains("--gpu-backend: unknown GPU backend 'metal': expected none, vulkan or cuda"),
                badBackend.err());
        // text that is not UTF-8: one line naming the flag, the file and the byte, not the JDK's "Input length = 1"
        Path binary = dir.resolve("latin1.txt");
        java.nio.file.Files.write(binary, new byte[] {'c', 'a', 'f', (byte) 0xe9, '\n'});
        for (String[] command : new String[][] {{"perplexity", "--host", host.toString(), "--text", binary.toString()},
                {"compare-logits", "--ref", host.toString(), "--test", host.toString(), "--text", binary.toString()},
                {"generate", "--host", host.toString(), "--prompt", "x", "--grammar-file", binary.toString()}}) {
            CliRun latin1 = run(command);
            String flag = command[0].equals("generate") ? "--grammar-file " : "--text ";
            assertEquals("memdec " + command[0] + ": " + flag + binary + ": not valid UTF-8 at byte offset 3",
                    latin1.err().strip(), String.join(" ", command));
            assertEquals(1, latin1.code());
        }
        // the process loaded the CPU build; a GPU build needs a fresh process: one line, exit 1
        CliRun otherBuild = run("generate", "--gpu-backend", "vulkan", "--host", host.toString(), "--prompt", "x");
        assertTrue(otherBuild.code() != 0 && otherBuild.err().contains("needs a new process"), otherBuild.err());
    }
}

package dev.memdec.e2e;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.hf.HfArchitecture;
import dev.memdec.converter.hf.HfCheckpoints;
import dev.memdec.converter.hf.HfConverter;
import dev.memdec.converter.hf.SyntheticHfCheckpoint;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.converter.mlp.MlpMemoryGguf;
import dev.memdec.converter.mlp.MlpMemoryTensors;
import dev.memdec.converter.mlp.RandomMlpWeights;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * External validation: every GGUF the HF converter and the gpt2 exporter write is parsed by Hugging Face's own
 * JavaScript GGUF reader, {@code @huggingface/gguf} (pinned; installed with npm into a cache directory outside
 * the repository), which must report no problem and the expected architecture, tensor count and key types.
 * Node and npm are required: without them this test fails, it never skips.
 */
class GgufExternalValidationTest {

    /** Checked with {@code npm view @huggingface/gguf version} on 2026-11-23. */
    private static final String PACKAGE = "@huggingface/gguf";
    private static final String VERSION = "0.4.6";
    private static final int GGUF_TYPE_UINT32 = 4;
    private static final int GGUF_TYPE_INT32 = 5;
    private static final int GGUF_TYPE_STRING = 8;

    @TempDir
    Path dir;

    private record Expected(String architecture, int tensors, int blocks, int tokens) {
    }

    /** {@code ~/.cache/memdec/npm-huggingface-gguf-<version>}, or under {@code $MEMDEC_NPM_CACHE} when set. */
    private static Path npmPrefix() {
        String base = System.getenv("MEMDEC_NPM_CACHE");
        Path root = base != null ? Path.of(base) : Path.of(System.getProperty("user.home"), ".cache", "memdec");
        return root.resolve("npm-huggingface-gguf-" + VERSION);
    }

    private static String run(Path workDir, long timeoutSeconds, List<String> command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("cannot run '" + command.getFirst() + "' (" + e.getMessage()
                    + "): this test needs node and npm on the PATH (e.g. apt-get install nodejs npm)", e);
        }
        p.getOutputStream().close();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail(String.join(" ", command) + " exited with " + p.exitValue() + ":\n" + text);
        }
        return text;
    }

    private static Path installParser() throws IOException, InterruptedException {
        Path prefix = Files.createDirectories(npmPrefix());
        Path installed = prefix.resolve("node_modules/@huggingface/gguf/package.json");
        boolean current = Files.isRegularFile(installed)
                && JsonParser.parseString(Files.readString(installed)).getAsJsonObject().get("version").getAsString().equals(VERSION);
        if (!current) {
            run(prefix, 300, List.of("npm", "install", "--prefix", prefix.toString(), "--no-audit", "--no-fund",
                    "--loglevel=error", PACKAGE + "@" + VERSION));
        }
        try (InputStream script = GgufExternalValidationTest.class.getResourceAsStream("/node/validate-gguf.mjs")) {
            Files.copy(script, prefix.resolve("validate-gguf.mjs"), StandardCopyOption.REPLACE_EXISTING);
        }
        return prefix;
    }

    @Test
    void huggingFaceGgufParsesEveryConvertedAndExportedFile() throws Exception {
        Path prefix = installParser();
        assertTrue(run(prefix, 30, List.of("node", "--version")).startsWith("v"));

        Map<Path, Expected> files = new LinkedHashMap<>();
        for (HfArchitecture arch : HfArchitecture.values()) {
            SyntheticHfCheckpoint c = SyntheticHfCheckpoint.tiny(arch);
            Path ckpt = dir.resolve("hf-" + arch);
            c.writeTo(ckpt);
            int tensors = switch (arch) {
                case GPT2 -> 5 + 12 * c.layers();
                case QWEN2 -> 2 + 12 * c.layers();
                case LLAMA -> 3 + 9 * c.layers();
            };
            for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0}) {
                Path out = dir.resolve(arch + "-" + type + ".gguf");
                HfConverter.convert(ckpt, out, type);
                files.put(out, new Expected(arch.ggufArchitecture(), tensors, c.layers(), c.vocabSize()));
            }
        }
        SyntheticHfCheckpoint llama = SyntheticHfCheckpoint.tiny(HfArchitecture.LLAMA);
        Path scaled = dir.resolve("hf-llama3-rope-scaling");
        llama.writeTo(scaled);
        HfCheckpoints.addLlama3RopeScaling(scaled);
        Path scaledOut = dir.resolve("llama3-rope-freqs.gguf");
        HfConverter.convert(scaled, scaledOut, GgmlType.Q8_0);
        files.put(scaledOut, new Expected("llama", 4 + 9 * llama.layers(), llama.layers(), llama.vocabSize()));

        Gpt2Config gpt2 = Gpt2Config.of(2, 64, 4, 64, Gpt2Tokenizer.VOCAB_SIZE);
        for (GgmlType type : new GgmlType[] {GgmlType.F16, GgmlType.Q8_0}) {
            Path out = dir.resolve("gpt2-exporter-" + type + ".gguf");
            Gpt2GgufExporter.write(gpt2, new RandomGpt2Weights(gpt2, 3), Gpt2Tokenizer.vocabulary(), type, Map.of(), out);
            files.put(out, new Expected("gpt2", 5 + 12 * gpt2.layers(), gpt2.layers(), Gpt2Tokenizer.VOCAB_SIZE));
        }

        // MLP memories (memdec's own architecture; no tokenizer, only its hash), every type, both flavours.
        MlpMemoryConfig.Host mlpHost = new MlpMemoryConfig.Host("gpt2", 64, "ffn_norm-1", "");
        for (MlpMemoryConfig mlp : new MlpMemoryConfig[] {MlpMemoryConfig.gpt2(32, 2, 300, mlpHost, "x"),
                new MlpMemoryConfig(MlpMemoryConfig.Flavour.LLAMA, 64, 2, 96, 300, 1e-6f, mlpHost, "x", 0.25f, 1f)}) {
            for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0}) {
                Path out = dir.resolve("mlp-" + mlp.flavour() + "-" + type + ".gguf");
                MlpMemoryGguf.write(mlp, new RandomMlpWeights(mlp, 5), type, Map.of(), out);
                files.put(out, new Expected(MlpMemoryGguf.ARCH, MlpMemoryTensors.of(mlp).size(), mlp.blocks(), 0));
            }
        }

        List<String> command = new ArrayList<>(List.of("node", prefix.resolve("validate-gguf.mjs").toString()));
        files.keySet().forEach(p -> command.add(p.toString()));
        String output = run(prefix, 300, command);
        JsonArray results = JsonParser.parseString(output.strip().lines().reduce((a, b) -> b).orElseThrow()).getAsJsonArray();
        assertEquals(files.size(), results.size(), output);
        for (JsonElement e : results) {
            JsonObject r = e.getAsJsonObject();
            Path file = Path.of(r.get("file").getAsString());
            Expected x = files.get(file);
            String name = file.getFileName().toString();
            assertEquals(0, r.getAsJsonArray("problems").size(), name + ": " + r.get("problems"));
            assertEquals(3, r.get("version").getAsInt(), name);
            assertEquals(x.architecture(), r.get("architecture").getAsString(), name);
            assertEquals(x.tensors(), r.get("tensorCount").getAsInt(), name);
            assertEquals(x.tensors(), r.get("headerTensorCount").getAsInt(), name);
            assertEquals(x.blocks(), r.get("blockCount").getAsInt(), name);
            assertEquals(x.tokens(), r.get("tokenCount").getAsInt(), name);
            assertEquals(GGUF_TYPE_UINT32, r.get("blockCountType").getAsInt(), name + " block_count must be UINT32");
            assertEquals(GGUF_TYPE_UINT32, r.get("fileTypeType").getAsInt(), name + " general.file_type must be UINT32");
            if (x.tokens() > 0) {
                assertEquals(GGUF_TYPE_STRING, r.get("tokensSubType").getAsInt(), name);
                assertEquals(GGUF_TYPE_INT32, r.get("tokenTypeSubType").getAsInt(), name + " token_type must be an INT32 array");
            }
        }
    }
}

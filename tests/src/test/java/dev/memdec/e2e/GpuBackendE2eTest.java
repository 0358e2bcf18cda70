package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.natives.llama.RuntimeProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * llama.cpp v0.5.0's Vulkan build ({@code --gpu-backend vulkan}) run for real on lavapipe, Mesa's Vulkan device on
 * the CPU: the test machines have no GPU, and {@code GGML_VK_VISIBLE_DEVICES=0} lets ggml take that CPU-type device,
 * which it skips by default. Every layer is offloaded to it (llama.cpp's log says so), and its logits, perplexity
 * and datastore keys agree with the CPU build's; the CLI mixes a memory on it. Runs in the v0.5.0 pass of the suite
 * (the parent is the CPU build there); each Vulkan side is a child JVM, since a process loads one build.
 */
class GpuBackendE2eTest {
  /** lavapipe is device 0 on the test machines (the only Vulkan device). */
  private static final Map<String, String> LAVAPIPE = Map.of("GGML_VK_VISIBLE_DEVICES", "0");

  @TempDir
  static Path dir;

  @BeforeAll
  static void onlyInTheV050Pass() {
    Assumptions.assumeTrue(RuntimeProfile.selected() == RuntimeProfile.V0_5_0,
        "the Vulkan build is v0.5.0's; compared with the CPU build in the suite's v0.5.0 pass");
  }

  @Test
  void everyLayerOnVulkanAgreesWithTheCpuBuild() throws Exception {
    Path model = TinyGpt2.path();
    Path log = dir.resolve("vulkan.log");
    Path logging = dir.resolve("logging.properties");
    // llama.cpp's INFO lines (where it reports the offload) reach JUL as FINE; let them through to stderr
    Files.writeString(logging, """
        handlers=java.util.logging.ConsoleHandler
        java.util.logging.ConsoleHandler.level=ALL
        dev.memdec.natives.llama.llama.cpp.level=FINE
        """);
    ProfileParityE2eTest.Probe cpu = ProfileParityE2eTest.probe(model, dir.resolve("cpu.bin"),
        List.of("-Dmemdec.runtime=v0.5.0"), Map.of(), dir.resolve("cpu.log"));
    ProfileParityE2eTest.Probe vulkan = ProfileParityE2eTest.probe(model, dir.resolve("vulkan.bin"),
        List.of("-Dmemdec.gpu.backend=vulkan", "-Djava.util.logging.config.file=" + logging), LAVAPIPE, log);
    String out = Files.readString(log);
    assertEquals("v0.5.0", cpu.runtime());
    assertTrue(vulkan.runtime().startsWith("v0.5.0 vulkan [Vulkan0 ("), vulkan.runtime());
    assertTrue(out.contains("offloaded 3/3 layers to GPU"), out);

    double logits = ProfileParityE2eTest.maxAbsDiff(cpu.logits(), vulkan.logits())
        / ProfileParityE2eTest.maxAbs(cpu.logits());
    double keys = ProfileParityE2eTest.maxAbsDiff(cpu.keys(), vulkan.keys()) / ProfileParityE2eTest.maxAbs(cpu.keys());
    double ppl = Math.abs(cpu.ppl() - vulkan.ppl()) / cpu.ppl();
    System.out.printf("Vulkan (lavapipe) vs CPU build: logits %.3g, keys %.3g (max |diff| / max |value|),"
        + " perplexity %.6f vs %.6f (rel %.3g)%n", logits, keys, vulkan.ppl(), cpu.ppl(), ppl);
    assertEquals(cpu.logits().length, vulkan.logits().length);
    assertEquals(cpu.keys().length, vulkan.keys().length);
    // Vulkan's matrix products round their inputs to f16 where the CPU build keeps F32: they agree to 2e-3 (measured 5e-4), not 1e-4
    assertTrue(logits <= 2e-3, "logits differ by " + logits);
    assertTrue(keys <= 2e-3, "keys differ by " + keys);
    assertTrue(ppl <= 1e-4, "perplexity " + vulkan.ppl() + " vs " + cpu.ppl());
  }

  @Test
  void theCliMixesAMemoryOnVulkan() throws Exception {
    Path memory = dir.resolve("memory-q8_0.gguf");
    Gpt2Config shape = Gpt2Config.of(1, 32, 2, 128, 50257);
    Gpt2GgufExporter.write(shape, new RandomGpt2Weights(shape, 7), Gpt2Tokenizer.vocabulary(), GgmlType.Q8_0,
        Map.of("general.name", "memdec e2e tiny memory"), memory);
    Path text = dir.resolve("text.txt");
    Files.writeString(text, "In the beginning God created the heaven and the earth. ".repeat(12));
    String[] args = {"perplexity", "--host", TinyGpt2.path().toString(), "--memory", memory.toString(),
        "--text", text.toString(), "--lambda", "0.4", "--threads", "2", "--ctx", "64", "--json"};
    JsonNode cpu = cli(List.of("--runtime", "v0.5.0"), Map.of(), args);
    JsonNode vulkan = cli(List.of("--gpu-backend", "vulkan"), LAVAPIPE, args);
    assertEquals(cpu.get("tokens").asInt(), vulkan.get("tokens").asInt());
    double host = vulkan.get("host_ppl").asDouble() / cpu.get("host_ppl").asDouble() - 1;
    double joint = vulkan.get("joint").get(0).get("ppl").asDouble() / cpu.get("joint").get(0).get("ppl").asDouble() - 1;
    System.out.printf("perplexity on Vulkan / CPU - 1: host %.3g, host + memory %.3g%n", host, joint);
    assertTrue(Math.abs(host) <= 1e-4 && Math.abs(joint) <= 1e-4, vulkan + " vs " + cpu);
    assertTrue(vulkan.get("joint").get(0).get("ppl").asDouble() != vulkan.get("host_ppl").asDouble(),
        "the memory changed nothing: " + vulkan);
  }

  @Test
  void devicesListsTheVulkanDevice() throws Exception {
    JsonNode d = cli(List.of("--gpu-backend", "vulkan"), LAVAPIPE, "devices", "--json");
    assertEquals("v0.5.0", d.get("runtime").asText());
    assertEquals("vulkan", d.get("gpu_backend").asText());
    assertTrue(d.get("gpu_devices").get(0).asText().startsWith("Vulkan0 ("), d.toString());
  }

  /** {@code memdec <args> <flags>} in a child JVM; its standard output as JSON, exit 0 asserted. */
  private static JsonNode cli(List<String> flags, Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
        "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
        "-Dmemdec.home=" + System.getProperty("memdec.home", "."),
        "-cp", System.getProperty("java.class.path"), "dev.memdec.plugin.cli.Main"));
    cmd.addAll(List.of(args));
    cmd.addAll(flags);
    Path out = Files.createTempFile(dir, "out", ".json");
    Path err = Files.createTempFile(dir, "err", ".txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().remove("MEMDEC_RUNTIME");
    pb.environment().putAll(env);
    Process p = pb.start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "memdec " + String.join(" ", args) + " timed out");
    assertEquals(0, p.exitValue(), Files.readString(err));
    return new ObjectMapper().readTree(out.toFile());
  }
}

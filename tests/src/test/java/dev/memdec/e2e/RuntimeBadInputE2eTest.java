package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bad runtime or GPU-backend choice, a missing/damaged v0.5.0 package or a GPU build without a device is one line on stderr and exit 1 from {@code ./memdec}'s
 * entry point, before any model is loaded, and never a JVM crash. Each case is a fresh JVM (the profile is fixed
 * per process).
 */
class RuntimeBadInputE2eTest {
  @TempDir
  Path dir;

  private FreshJvm memdec(Map<String, String> env, List<String> jvm, String... args) throws Exception {
    return FreshJvm.run(dir, env, jvm, args);
  }

  private static void assertOneLine(FreshJvm r, String expected) {
    assertEquals(1, r.code(), r.err());
    List<String> lines = r.err().lines().toList();
    assertEquals(1, lines.size(), r.err());
    assertTrue(lines.get(0).contains(expected), r.err());
  }

  @Test
  void badEnvironmentValueMissingPackageAndDamagedPackageAreOneLineExitOne() throws Exception {
    String host = TinyGpt2.path().toString();
    assertOneLine(memdec(Map.of("MEMDEC_RUNTIME", "b9999"), List.of(), "generate", "--host", host, "--prompt", "x"),
        "MEMDEC_RUNTIME: unknown llama.cpp runtime 'b9999': expected b4916 or v0.5.0");

    Path absent = dir.resolve("no-runtime");
    assertOneLine(memdec(Map.of(), List.of("-Dmemdec.llama.v050.dir=" + absent), "generate", "--runtime", "v0.5.0",
        "--host", host, "--prompt", "x"), "llama.cpp v0.5.0 runtime not installed: " + absent);

    Path damaged = Files.createDirectories(dir.resolve("damaged"));
    Files.writeString(damaged.resolve("libggml-base.so"), "not the library");
    assertOneLine(memdec(Map.of("MEMDEC_RUNTIME", "v0.5.0"), List.of("-Dmemdec.llama.v050.dir=" + damaged),
        "generate", "--host", host, "--prompt", "x"), "libggml-base.so has sha256");
  }

  @Test
  void gpuBackendWithoutItsPackageADeviceOrTheRightRuntimeIsOneLineExitOne() throws Exception {
    String host = TinyGpt2.path().toString();
    assertOneLine(memdec(Map.of("MEMDEC_GPU_BACKEND", "metal"), List.of(), "generate", "--host", host, "--prompt",
        "x"), "MEMDEC_GPU_BACKEND: unknown GPU backend 'metal': expected none, vulkan or cuda");
    assertOneLine(memdec(Map.of(), List.of(), "generate", "--runtime", "b4916", "--gpu-backend", "vulkan", "--host",
        host, "--prompt", "x"), "--gpu-backend vulkan needs --runtime v0.5.0: llama.cpp b4916");
    Path absent = dir.resolve("no-vulkan");
    assertOneLine(memdec(Map.of(), List.of("-Dmemdec.llama.v050.dir=" + absent), "generate", "--gpu-backend",
        "cuda", "--host", host, "--prompt", "x"), "llama.cpp v0.5.0 runtime (cuda) not installed: " + absent
        + " does not exist (run scripts/setup.sh --gpu-backend cuda, which installs npm @node-llama-cpp/linux-x64-cuda");
    // the Vulkan build where ggml may use no Vulkan device (an empty device list): what a machine without a GPU gets
    assertOneLine(memdec(Map.of("GGML_VK_VISIBLE_DEVICES", ""), List.of(), "generate", "--gpu-backend", "vulkan",
        "--host", host, "--prompt", "x"), "--gpu-backend vulkan: llama.cpp found no vulkan device on this machine");
  }

  /** A build of your own ({@code --llama-dir}) with a changed library, a bad manifest line, or beside --gpu-backend. */
  @Test
  void aDamagedOrMisusedBuildOfYourOwnIsOneLineExitOne() throws Exception {
    String host = TinyGpt2.path().toString();
    assertOneLine(memdec(Map.of(), List.of(), "generate", "--llama-dir", dir.toString(), "--host", host, "--prompt",
        "x"), "--llama-dir " + dir + ": no memdec-build.txt there");
    Path local = LocalBuildE2eTest.assemble(dir.resolve("local"));
    Path llama = local.resolve("libllama.v0.5.0.so");
    byte[] bytes = Files.readAllBytes(llama);
    bytes[bytes.length / 2] ^= 1;
    Files.write(llama, bytes);
    assertOneLine(memdec(Map.of(), List.of(), "generate", "--llama-dir", local.toString(), "--host", host, "--prompt",
        "x"), "--llama-dir " + local + ": libllama.v0.5.0.so has sha256 ");
    Files.writeString(local.resolve("memdec-build.txt"), "memdec-llama-build 1\nload nothex libllama.v0.5.0.so\n");
    assertOneLine(memdec(Map.of("MEMDEC_LLAMA_DIR", local.toString()), List.of(), "generate", "--host", host,
        "--prompt", "x"), "memdec-build.txt: line 2: expected 'load|file SHA256 NAME'");
    assertOneLine(memdec(Map.of(), List.of(), "generate", "--llama-dir", local.toString(), "--gpu-backend", "vulkan",
        "--host", host, "--prompt", "x"), "--llama-dir and --gpu-backend vulkan exclude each other");
  }
}

package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.natives.llama.LocalBuild;
import dev.memdec.natives.llama.RuntimeProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --llama-dir}: a llama.cpp v0.5.0 build of the user's own, loaded from its folder after its manifest's
 * checksums pass. {@code scripts/build-llama.sh} makes such a folder with CMake (minutes, so not in the suite);
 * here the folder is assembled from the pinned CPU package's own files with a manifest written the same way, which
 * exercises everything memdec does with one: the manifest, loading in dependency order by absolute path, the
 * backends beside them, and the version and layout checks. Same files, so the logits must be the CPU build's to the
 * bit. Runs in the suite's v0.5.0 pass.
 */
class LocalBuildE2eTest {
  @TempDir
  static Path dir;

  /**
   * A folder in {@code scripts/build-llama.sh}'s form made of the pinned CPU build's files: libggml-base,
   * libggml and libllama to load, in that order, and the CPU backends to check.
   */
  static Path assemble(Path target) throws IOException {
    Path pinned = Path.of(System.getProperty("memdec.home", ".")).toAbsolutePath().resolve(".cache/llama/v0.5.0");
    Files.createDirectories(target);
    List<String> lines = new ArrayList<>(List.of(LocalBuild.MAGIC, "# assembled by LocalBuildE2eTest"));
    for (String lib : List.of("libggml-base.so", "libggml.v0.5.0.so", "libllama.v0.5.0.so")) {
      Files.copy(pinned.resolve(lib), target.resolve(lib));
      lines.add("load " + sha256(target.resolve(lib)) + " " + lib);
    }
    try (Stream<Path> cpu = Files.list(pinned)) {
      for (Path p : cpu.filter(p -> p.getFileName().toString().startsWith("libggml-cpu-")).sorted().toList()) {
        Files.copy(p, target.resolve(p.getFileName()));
        lines.add("file " + sha256(p) + " " + p.getFileName());
      }
    }
    Files.write(target.resolve(LocalBuild.MANIFEST), lines);
    return target;
  }

  static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aBuildOfYourOwnLoadsAndComputesTheSameLogits() throws Exception {
    Assumptions.assumeTrue(RuntimeProfile.selected() == RuntimeProfile.V0_5_0,
        "a v0.5.0 build; runs in the suite's v0.5.0 pass");
    Path local = assemble(dir.resolve("local"));
    Path model = TinyGpt2.path();
    ProfileParityE2eTest.Probe pinned = ProfileParityE2eTest.probe(model, dir.resolve("pinned.bin"),
        List.of("-Dmemdec.runtime=v0.5.0"), Map.of(), dir.resolve("pinned.log"));
    // --llama-dir alone implies v0.5.0 (no -Dmemdec.runtime)
    ProfileParityE2eTest.Probe own = ProfileParityE2eTest.probe(model, dir.resolve("local.bin"),
        List.of("-D" + LocalBuild.PROPERTY + "=" + local), Map.of(), dir.resolve("local.log"));
    assertEquals("v0.5.0", own.runtime());
    assertEquals(0.0, ProfileParityE2eTest.maxAbsDiff(pinned.logits(), own.logits()), "logits");
    assertEquals(0.0, ProfileParityE2eTest.maxAbsDiff(pinned.keys(), own.keys()), "keys");
    assertEquals(pinned.ppl(), own.ppl(), 0.0);
    assertTrue(pinned.logits().length > 0);
  }
}

package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import dev.memdec.converter.hf.TokenizerJsonFixtures;
import dev.memdec.plugin.cli.CliRun;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without {@code --runtime} (or {@code MEMDEC_RUNTIME}, a GPU backend, a build of one's own), a command whose model
 * files llama.cpp b4916 cannot run but v0.5.0 can runs on v0.5.0 and says so in one line; a named build is obeyed
 * and such a file refused by name, as is one when v0.5.0 is not installed. Every case is {@code ./memdec}'s entry
 * point in a JVM of its own (the build is fixed per process).
 */
class RuntimeChoiceE2eTest {
  @TempDir
  static Path dir;
  private static Path qwen3;
  private static Path llama;

  @BeforeAll
  static void models() throws Exception {
    Path tokenizer = TokenizerJsonFixtures.byteLevelBpe(dir.resolve("bpe"));
    qwen3 = init("qwen3", tokenizer, "qwen3-host.gguf", "--kv-heads", "2");
    llama = init("llama", qwen3, "llama-memory.gguf");
  }

  private static Path init(String arch, Path tokenizerFrom, String name, String... more) {
    Path out = dir.resolve(name);
    List<String> args = new java.util.ArrayList<>(List.of("init", "--arch", arch, "--tokenizer-from",
        tokenizerFrom.toString(), "--layers", "2", "--embd", "64", "--heads",
        "4", "--ctx", "64", "--out", out.toString()));
    args.addAll(List.of(more));
    CliRun.succeed(args.toArray(String[]::new));
    return out;
  }

  private static FreshJvm generate(Map<String, String> env, List<String> jvm, Path host, Path memory)
      throws Exception {
    return FreshJvm.run(dir, env, jvm, "generate", "--host", host.toString(), "--memory", memory.toString(),
        "--prompt", "the cat sat on the", "--max-tokens", "3", "--greedy", "--threads", "1", "--json");
  }

  private static void assertGenerated(FreshJvm r) {
    assertEquals(0, r.code(), r.err());
    assertEquals(3, JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonArray("token_ids").size(), r.out());
  }

  @Test
  void aFileOnlyV050RunsChoosesItAndSaysWhich() throws Exception {
    FreshJvm host = generate(Map.of(), List.of(), qwen3, llama);
    assertGenerated(host);
    assertEquals("memdec: running on llama.cpp v0.5.0: " + qwen3 + " is a qwen3 model, which b4916 does not run "
        + "(--runtime b4916|v0.5.0 chooses)", host.err().lines().findFirst().orElse(""), host.err());

    // the memory decides too, though the host alone would run on b4916
    FreshJvm memory = generate(Map.of(), List.of(), llama, qwen3);
    assertGenerated(memory);
    assertTrue(memory.err().contains("running on llama.cpp v0.5.0: " + qwen3 + " is a qwen3 model"), memory.err());
  }

  @Test
  void filesB4916RunsStayOnIt() throws Exception {
    Path memory = init("gpt2", TinyGpt2.path(), "gpt2-memory.gguf");
    FreshJvm r = FreshJvm.run(dir, Map.of(), List.of(), "generate", "--host", TinyGpt2.path().toString(), "--memory",
        memory.toString(), "--prompt", "the", "--max-tokens", "3", "--greedy", "--threads", "1", "--ctx", "64", "--json");
    assertGenerated(r);
    assertFalse(r.err().contains("running on llama.cpp"), r.err());
  }

  @Test
  void aNamedBuildIsObeyedAndAMissingV050LeavesTheRefusal() throws Exception {
    String refusal = "architecture 'qwen3' is not one llama.cpp b4916 can load";
    for (FreshJvm r : List.of(
        generate(Map.of("MEMDEC_RUNTIME", "b4916"), List.of(), qwen3, llama),
        FreshJvm.run(dir, Map.of(), List.of(), "perplexity", "--runtime", "b4916", "--host", qwen3.toString(),
            "--text", java.nio.file.Files.writeString(dir.resolve("text.txt"), "the cat sat on the mat\n").toString()),
        generate(Map.of(), List.of("-Dmemdec.llama.v050.dir=" + dir.resolve("absent")), qwen3, llama))) {
      assertEquals(1, r.code(), r.out());
      assertEquals(1, r.err().lines().count(), r.err());
      assertTrue(r.err().contains(refusal) && r.err().contains("(--runtime v0.5.0)"), r.err());
    }
  }
}

package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.eval.LogSpace;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.hf.HfArchitecture;
import dev.memdec.converter.hf.HfConverter;
import dev.memdec.converter.hf.SyntheticHfCheckpoint;
import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.KvType;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.LlamaRuntime;
import dev.memdec.natives.llama.ModelOptions;
import dev.memdec.natives.llama.RuntimeProfile;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The two llama.cpp profiles compute the same numbers from the same file: every logits row, the perplexity of the
 * tokens and the datastore key (the last block's FFN input, after its norm) of every position agree to 1e-4
 * between b4916 and v0.5.0 (differences relative to the largest magnitude; F32 KV cache, so that f16 rounding ties
 * of the cache do not dominate). One process runs one profile, so each side runs {@link #main} in its own JVM.
 */
class ProfileParityE2eTest {
  private static final int N = 96;

  @TempDir
  static Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"gpt2", "llama", "qwen2"})
  void logitsPerplexityAndKeysAgreeAcrossProfiles(String arch) throws Exception {
    // runs both profiles itself, so once per CI run is enough: in the suite's b4916 pass
    org.junit.jupiter.api.Assumptions.assumeTrue(RuntimeProfile.selected() == RuntimeProfile.B4916,
        "compares both profiles in child JVMs; run in the b4916 pass");
    Path model = model(arch);
    Probe b4916 = run(RuntimeProfile.B4916, model);
    Probe v050 = run(RuntimeProfile.V0_5_0, model);
    assertEquals(b4916.logits.length, v050.logits.length);
    assertEquals(b4916.keys.length, v050.keys.length);
    double logits = maxAbsDiff(b4916.logits, v050.logits) / maxAbs(b4916.logits);
    double keys = maxAbsDiff(b4916.keys, v050.keys) / maxAbs(b4916.keys);
    double ppl = Math.abs(b4916.ppl - v050.ppl) / b4916.ppl;
    System.out.printf("%s: max |logit diff| / max |logit| %.3g, the same for keys %.3g, perplexity %.6f vs %.6f"
        + " (rel %.3g)%n",
        arch, logits, keys, b4916.ppl, v050.ppl, ppl);
    assertTrue(logits <= 1e-4, arch + ": logits differ by " + logits);
    assertTrue(keys <= 1e-4, arch + ": keys differ by " + keys);
    assertTrue(ppl <= 1e-4, arch + ": perplexity " + b4916.ppl + " vs " + v050.ppl);
  }

  private static Path model(String arch) throws IOException {
    if (arch.equals("gpt2")) {
      return TinyGpt2.path();
    }
    HfArchitecture a = HfArchitecture.valueOf(arch.toUpperCase(java.util.Locale.ROOT));
    Path ckpt = dir.resolve(arch + "-ckpt");
    SyntheticHfCheckpoint.tiny(a).writeTo(ckpt);
    Path gguf = dir.resolve(arch + ".gguf");
    HfConverter.convert(ckpt, gguf, GgmlType.F32);
    return gguf;
  }

  record Probe(String runtime, float[] logits, float[] keys, double ppl) {}

  private static Probe run(RuntimeProfile profile, Path model) throws Exception {
    Probe p = probe(model, dir.resolve(model.getFileName() + "." + profile.id() + ".bin"),
        List.of("-Dmemdec.runtime=" + profile.id()), java.util.Map.of(), dir.resolve("probe.log"));
    assertEquals(profile.id(), p.runtime());
    return p;
  }

  /**
   * Runs {@link #main} on {@code model} in a child JVM with {@code jvmArgs} and {@code env} added (the runtime is
   * fixed per process), its output in {@code log}; returns what it wrote to {@code out}.
   */
  static Probe probe(Path model, Path out, List<String> jvmArgs, java.util.Map<String, String> env, Path log)
      throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-Dmemdec.home=" + System.getProperty("memdec.home", "."),
        "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
        "-Dde.kherud.llama.tmpdir=" + System.getProperty("java.io.tmpdir")));
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ProfileParityE2eTest.class.getName(),
        model.toString(), out.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().remove("MEMDEC_RUNTIME");
    pb.environment().putAll(env);
    Process p = pb.start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "probe timed out");
    assertEquals(0, p.exitValue(), "probe failed: " + Files.readString(log));
    try (DataInputStream in = new DataInputStream(Files.newInputStream(out))) {
      String runtime = in.readUTF();
      double ppl = in.readDouble();
      return new Probe(runtime, floats(in), floats(in), ppl);
    }
  }

  private static float[] floats(DataInputStream in) throws IOException {
    float[] a = new float[in.readInt()];
    for (int i = 0; i < a.length; i++) {
      a[i] = in.readFloat();
    }
    return a;
  }

  static double maxAbs(float[] a) {
    double m = 0;
    for (float v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  static double maxAbsDiff(float[] a, float[] b) {
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    return worst;
  }

  /**
   * The probe: decodes {@value #N} fixed tokens with every row an output, then writes the runtime's name, the
   * perplexity of tokens 1..N-1, all logits rows and the keys of every position.
   */
  public static void main(String[] args) throws Exception {
    try (LlamaModel model = LlamaModel.load(Path.of(args[0]), ModelOptions.defaults());
         LlamaContext c = LlamaContext.create(model, ContextOptions.defaults().withNCtx(128).withBatch(128, 128)
             .withKvType(KvType.F32).withThreads(2, 2).withCapture(LlamaContext.ffnInput(model.nLayer() - 1)))) {
      int vocab = model.vocab().size();
      int[] tokens = new SplittableRandom(12).ints(N, 0, Math.min(vocab, 250)).toArray();
      c.decode(tokens, 0, true);
      float[] logits = new float[N * vocab];
      double nll = 0;
      for (int i = 0; i < N; i++) {
        float[] row = c.logits(i);
        System.arraycopy(row, 0, logits, i * vocab, vocab);
        if (i + 1 < N) {
          nll -= LogSpace.logSoftmax(row, tokens[i + 1]);
        }
      }
      float[] keys = c.captured(LlamaContext.ffnInput(model.nLayer() - 1)).values();
      try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[1])))) {
        LlamaRuntime rt = LlamaRuntime.get();
        out.writeUTF(rt.profile().id() + (rt.gpuDevices().isEmpty() ? "" : " " + rt.gpuBackend() + " "
            + rt.gpuDevices()));
        out.writeDouble(Math.exp(nll / (N - 1)));
        for (float[] a : new float[][] {logits, keys}) {
          out.writeInt(a.length);
          for (float v : a) {
            out.writeFloat(v);
          }
        }
      }
    }
    System.exit(0);
  }
}

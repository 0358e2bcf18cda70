package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import dev.memdec.natives.llama.SamplerChain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Leak proof: creating and closing native objects many times leaves resident memory (VmRSS) flat. Leaking one
 * context per cycle (its KV cache, compute and output buffers, batch, callback stubs) or one 26 MB model per
 * load would exceed the bound below many times over.
 */
class NativeLeakE2eTest {
  /** Allowed RSS growth per measured run: 64 MiB (under 64 KiB per context cycle, 3.2 MiB per model load). */
  private static final long BOUND_KIB = 64 * 1024;

  static long rssKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("/proc/self/status has no VmRSS line");
  }

  /** VmRSS after a full GC, so garbage Java arrays do not count. */
  static long settledRssKib() throws IOException {
    System.gc();
    return rssKib();
  }

  /**
   * n cycles of: context create, decode two tokens, close; sampler chain with a Java sampler (upcall stubs)
   * create, sample, close. Little Java garbage per cycle, so heap growth does not blur VmRSS.
   */
  static void contextCycles(LlamaModel model, int n) {
    ContextOptions o = ContextOptions.defaults().withNCtx(64).withBatch(64, 64).withThreads(1, 1);
    float[] logits = {0.1f, 0.3f, 0.2f, 0.9f, 0.4f};
    for (int i = 0; i < n; i++) {
      try (LlamaContext c = LlamaContext.create(model, o);
           SamplerChain chain = SamplerChain.builder().custom(cands -> cands.setLogit(0, 5f)).topK(3).greedy()
               .build()) {
        c.decode(new int[] {464, 3797}, 0, false);
        assertTrue(c.hasOutput(1));
        assertEquals(0, chain.sample(logits));
      }
    }
  }

  @Test
  void thousandContextCyclesKeepResidentMemoryFlat() throws Exception {
    try (LlamaModel model = LlamaModel.load(TinyGpt2.path(), ModelOptions.defaults())) {
      // Warm-up: RSS rises to a plateau over the first few hundred cycles (JIT and upcall code, glibc's dynamic
      // mmap threshold keeping freed buffers); NativeLeakBenchmark shows it flat from there on.
      contextCycles(model, 100);
      long start = settledRssKib();
      contextCycles(model, 1000);
      long growth = settledRssKib() - start;
      System.out.printf("context+sampler create/decode/close x1000 (after 100 warm-up): VmRSS %+d KiB (bound %d"
          + " KiB)%n", growth, BOUND_KIB);
      assertTrue(growth < BOUND_KIB, "VmRSS grew by " + growth + " KiB over 1000 context cycles");
    }
  }

  @Test
  void modelLoadFreeCyclesKeepResidentMemoryFlat() throws Exception {
    ModelOptions read = ModelOptions.defaults().withMmap(false); // 26 MB read into memory each time
    for (int i = 0; i < 3; i++) {
      LlamaModel.load(TinyGpt2.path(), read).close();
    }
    long before = settledRssKib();
    for (int i = 0; i < 20; i++) { // loading parses the 50k-token vocabulary: ~0.6 s each
      LlamaModel.load(TinyGpt2.path(), read).close();
    }
    long growth = settledRssKib() - before;
    System.out.printf("model load/free x20 (no mmap, 26 MB each): VmRSS growth %d KiB (bound %d KiB)%n",
        growth, BOUND_KIB);
    assertTrue(growth < BOUND_KIB, "VmRSS grew by " + growth + " KiB over 20 model cycles");
  }
}

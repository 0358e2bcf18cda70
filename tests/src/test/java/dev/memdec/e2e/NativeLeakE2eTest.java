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
  /** Allowed RSS growth over all measured cycles of one kind: 64 MiB (under 64 KiB per context cycle). */
  private static final long BOUND_KIB = 64 * 1024;

  static long rssKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("/proc/self/status has no VmRSS line");
  }

  private static void contextCycles(LlamaModel model, int n) {
    ContextOptions o = ContextOptions.defaults().withNCtx(64).withBatch(64, 64).withThreads(1, 1);
    for (int i = 0; i < n; i++) {
      try (LlamaContext c = LlamaContext.create(model, o);
           SamplerChain chain = SamplerChain.builder().custom(cands -> cands.setLogit(0, cands.logit(0))).topK(5)
               .greedy().build()) {
        c.decode(new int[] {464, 3797}, 0, false);
        assertEquals(true, chain.sample(c, -1) >= 0);
      }
    }
  }

  @Test
  void thousandContextCyclesKeepResidentMemoryFlat() throws Exception {
    try (LlamaModel model = LlamaModel.load(TinyGpt2.path(), ModelOptions.defaults())) {
      contextCycles(model, 50); // warm-up: allocator pools, JIT, thread pools
      System.gc();
      long before = rssKib();
      contextCycles(model, 1000);
      System.gc();
      long growth = rssKib() - before;
      System.out.printf("context+sampler create/decode/close x1000: VmRSS growth %d KiB (bound %d KiB)%n",
          growth, BOUND_KIB);
      assertTrue(growth < BOUND_KIB, "VmRSS grew by " + growth + " KiB over 1000 context cycles");
    }
  }

  @Test
  void modelLoadFreeCyclesKeepResidentMemoryFlat() throws Exception {
    ModelOptions read = ModelOptions.defaults().withMmap(false); // 26 MB read into memory each time
    for (int i = 0; i < 3; i++) {
      LlamaModel.load(TinyGpt2.path(), read).close();
    }
    System.gc();
    long before = rssKib();
    for (int i = 0; i < 20; i++) { // loading parses the 50k-token vocabulary: ~0.6 s each
      LlamaModel.load(TinyGpt2.path(), read).close();
    }
    System.gc();
    long growth = rssKib() - before;
    System.out.printf("model load/free x20 (no mmap, 26 MB each): VmRSS growth %d KiB (bound %d KiB)%n",
        growth, BOUND_KIB);
    assertTrue(growth < BOUND_KIB, "VmRSS grew by " + growth + " KiB over 20 model cycles");
  }
}

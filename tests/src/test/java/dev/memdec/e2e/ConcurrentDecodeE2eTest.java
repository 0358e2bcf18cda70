package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.KvType;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Two contexts decoding from two Java threads at the same time: without the inference lock b4916 corrupts
 * both contexts' logits (shared/docs/parallel-decode.md); with it they must equal a sequential run bit for bit.
 */
class ConcurrentDecodeE2eTest {
  private static final int STEPS = 24;

  /** Prompt, then STEPS greedy single-token decodes; returns every step's logits. */
  private static List<float[]> run(LlamaModel model, int[] prompt, CyclicBarrier barrier) throws Exception {
    List<float[]> all = new ArrayList<>();
    ContextOptions o = ContextOptions.defaults().withNCtx(128).withBatch(64, 64).withThreads(1, 1)
        .withKvType(KvType.F16);
    try (LlamaContext c = LlamaContext.create(model, o)) {
      if (barrier != null) {
        barrier.await();
      }
      c.decode(prompt, 0, false);
      for (int step = 0; step < STEPS; step++) {
        float[] logits = c.logits(-1);
        all.add(logits);
        int next = 0;
        for (int t = 1; t < logits.length; t++) {
          if (logits[t] > logits[next]) {
            next = t;
          }
        }
        c.decode(new int[] {next}, c.nPast(), false);
      }
    }
    return all;
  }

  @Test
  void twoThreadsGetExactlyTheSequentialLogits() throws Exception {
    try (LlamaModel a = LlamaModel.load(TinyGpt2.path(), ModelOptions.defaults());
         LlamaModel b = LlamaModel.load(TinyGpt2.path(), ModelOptions.defaults().withMmap(false))) {
      int[] all = a.vocab().tokenize(TinyGpt2.text(30), false, false);
      int[] promptA = Arrays.copyOfRange(all, 0, 48);
      int[] promptB = Arrays.copyOfRange(all, 100, 160);
      List<float[]> seqA = run(a, promptA, null);
      List<float[]> seqB = run(b, promptB, null);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        for (int round = 0; round < 3; round++) {
          CyclicBarrier start = new CyclicBarrier(2);
          Future<List<float[]>> fa = pool.submit(() -> run(a, promptA, start));
          Future<List<float[]>> fb = pool.submit(() -> run(b, promptB, start));
          List<float[]> parA = fa.get();
          List<float[]> parB = fb.get();
          assertEquals(STEPS, parA.size());
          for (int s = 0; s < STEPS; s++) {
            assertArrayEquals(seqA.get(s), parA.get(s), "round " + round + " context A step " + s);
            assertArrayEquals(seqB.get(s), parB.get(s), "round " + round + " context B step " + s);
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }
}

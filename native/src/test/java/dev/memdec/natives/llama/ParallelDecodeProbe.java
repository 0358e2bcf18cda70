package dev.memdec.natives.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;

/**
 * Re-measures shared/docs/parallel-decode.md §1 on the process's profile: two contexts (host file, memory file)
 * prefill the same random prompt and then take STEPS single-token steps, once one after the other on one thread
 * (the reference) and once with both {@code llama_decode} calls overlapping on two threads (a barrier per step),
 * bypassing the inference lock. Prints the max |logit| difference of each context against the reference and the
 * median step times. A benchmark {@code main}, not a test:
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -Dmemdec.runtime=v0.5.0 -cp ... ParallelDecodeProbe host.gguf mem.gguf 2 2</pre>
 */
public final class ParallelDecodeProbe {
  private static final int PROMPT = 64;
  private static final int STEPS = 32;

  /** One context and its own batch, decoded through the raw handles (no lock). */
  private static final class Side {
    final LlamaContext c;
    final MemorySegment batch;
    final int vocab;
    final float[][] logits = new float[STEPS][];
    final double[] ms = new double[STEPS];

    Side(LlamaModel m, int threads, Arena arena) throws Throwable {
      c = LlamaContext.create(m, ContextOptions.defaults().withNCtx(256).withBatch(PROMPT, PROMPT)
          .withThreads(threads, threads));
      batch = (MemorySegment) LlamaLibrary.BATCH_INIT.invokeExact((SegmentAllocator) arena, PROMPT, 0, 1);
      vocab = m.vocab().size();
    }

    void decode(int[] tokens, int pos) throws Throwable {
      var b = LlamaLibrary.BATCH;
      long ints = (long) PROMPT * 4;
      MemorySegment tok = batch.get(ADDRESS, LlamaLibrary.offset(b, "token")).reinterpret(ints);
      MemorySegment p = batch.get(ADDRESS, LlamaLibrary.offset(b, "pos")).reinterpret(ints);
      MemorySegment nSeq = batch.get(ADDRESS, LlamaLibrary.offset(b, "n_seq_id")).reinterpret(ints);
      MemorySegment seq = batch.get(ADDRESS, LlamaLibrary.offset(b, "seq_id")).reinterpret(PROMPT * 8L);
      MemorySegment out = batch.get(ADDRESS, LlamaLibrary.offset(b, "logits")).reinterpret(PROMPT);
      for (int i = 0; i < tokens.length; i++) {
        tok.setAtIndex(JAVA_INT, i, tokens[i]);
        p.setAtIndex(JAVA_INT, i, pos + i);
        nSeq.setAtIndex(JAVA_INT, i, 1);
        seq.getAtIndex(ADDRESS, i).reinterpret(4).set(JAVA_INT, 0, 0);
        out.set(JAVA_BYTE, i, (byte) (i == tokens.length - 1 ? 1 : 0));
      }
      batch.set(JAVA_INT, 0, tokens.length);
      int rc = (int) LlamaLibrary.DECODE.invokeExact(c.handle(), batch);
      if (rc != 0) {
        throw new IllegalStateException("llama_decode returned " + rc);
      }
    }

    float[] last() throws Throwable {
      MemorySegment l = ((MemorySegment) LlamaLibrary.GET_LOGITS_ITH.invokeExact(c.handle(), -1))
          .reinterpret((long) vocab * 4);
      return l.toArray(JAVA_FLOAT);
    }

    /** Prompt, then STEPS steps feeding token (step * 7) % 250: the same inputs in every mode. */
    void run(int[] prompt, CyclicBarrier barrier) throws Throwable {
      LlamaLibrary.kvClear(c.handle());
      decode(prompt, 0);
      for (int s = 0; s < STEPS; s++) {
        if (barrier != null) {
          barrier.await();
        }
        long t0 = System.nanoTime();
        decode(new int[] {(s * 7) % 250}, PROMPT + s);
        ms[s] = (System.nanoTime() - t0) / 1e6;
        logits[s] = last();
      }
    }
  }

  public static void main(String[] args) throws Throwable {
    LlamaRuntime.get();
    int threadsA = Integer.parseInt(args[2]);
    int threadsB = Integer.parseInt(args[3]);
    int[] prompt = new Random(42).ints(PROMPT, 0, 250).toArray();
    try (Arena arena = Arena.ofShared();
         LlamaModel ma = LlamaModel.load(Path.of(args[0]), ModelOptions.defaults());
         LlamaModel mb = LlamaModel.load(Path.of(args[1]), ModelOptions.defaults())) {
      Side a = new Side(ma, threadsA, arena);
      Side b = new Side(mb, threadsB, arena);
      a.run(prompt, null);
      b.run(prompt, null);
      float[][] refA = a.logits.clone();
      float[][] refB = b.logits.clone();
      double seqMs = median(a.ms) + median(b.ms);
      CyclicBarrier barrier = new CyclicBarrier(2);
      Throwable[] error = new Throwable[1];
      Thread tb = new Thread(() -> {
        try {
          b.run(prompt, barrier);
        } catch (Throwable t) {
          error[0] = t;
        }
      });
      long t0 = System.nanoTime();
      tb.start();
      a.run(prompt, barrier);
      tb.join();
      double parWall = (System.nanoTime() - t0) / 1e6;
      if (error[0] != null) {
        throw error[0];
      }
      System.out.printf("runtime %s, threads %d+%d: sequential step (host + memory) %.2f ms; parallel: host %.2f ms,"
              + " memory %.2f ms per step (wall incl. prompts %.0f ms); max |logit diff| vs sequential: host %.3g,"
              + " memory %.3g%n", LlamaRuntime.get().profile(), threadsA, threadsB, seqMs, median(a.ms),
          median(b.ms), parWall, maxDiff(refA, a.logits), maxDiff(refB, b.logits));
      a.c.close();
      b.c.close();
    }
    System.exit(0);
  }

  private static double maxDiff(float[][] x, float[][] y) {
    double worst = 0;
    for (int s = 0; s < x.length; s++) {
      for (int i = 0; i < x[s].length; i++) {
        worst = Math.max(worst, Math.abs(x[s][i] - y[s][i]));
      }
    }
    return worst;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    java.util.Arrays.sort(s);
    return s[s.length / 2];
  }
}

package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.natives.llama.CapturedTensor;
import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.KvType;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Decoding, output rows, eval-callback capture, embeddings and KV trimming on the tiny exported GPT-2. */
class LlamaDecodeE2eTest {
  private static final int V = 50257;
  private static final int E = 64;
  private static LlamaModel model;
  private static int[] tokens;

  @BeforeAll
  static void load() throws Exception {
    model = LlamaModel.load(TinyGpt2.path(), ModelOptions.defaults());
    tokens = Arrays.copyOf(model.vocab().tokenize(TinyGpt2.text(40), false, false), 100);
  }

  @AfterAll
  static void free() {
    model.close();
  }

  private static ContextOptions options() {
    return ContextOptions.defaults().withNCtx(128).withBatch(128, 128).withThreads(2, 2).withKvType(KvType.F32);
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  /**
   * Two contexts taking turns, token by token, as a host and its memory do, on 2 threads (on v0.5.0's prebuilt build
   * both compute on the process's one persistent ggml pool, CpuThreadPools) give the logits each gives on one thread.
   */
  @Test
  void contextsTakingTurnsOnTwoThreadsMatchOneThreadEach() {
    int[] starts = {0, 40};
    float[][][] pooled = turns(options(), starts);
    float[][][] alone = turns(options().withThreads(1, 1), starts);
    for (int c = 0; c < 2; c++) {
      for (int step = 0; step < pooled[c].length; step++) {
        double diff = maxAbsDiff(pooled[c][step], alone[c][step]);
        assertTrue(diff <= 1e-4, "context " + c + ", step " + step + ": 2 threads differ from 1 by " + diff);
      }
    }
  }

  /** Prefills both prompts, then 12 more tokens of each (the text's own), alternating; every step's logits. */
  private static float[][][] turns(ContextOptions o, int[] starts) {
    float[][][] out = new float[2][13][];
    try (LlamaContext a = LlamaContext.create(model, o); LlamaContext b = LlamaContext.create(model, o)) {
      LlamaContext[] cs = {a, b};
      for (int c = 0; c < 2; c++) {
        cs[c].decode(Arrays.copyOfRange(tokens, starts[c], starts[c] + 8), 0, false);
      }
      for (int step = 0; step < 13; step++) {
        for (int c = 0; c < 2; c++) {
          out[c][step] = cs[c].logits(-1);
          if (step < 12) {
            cs[c].decode(new int[] {tokens[starts[c] + 8 + step]}, 8 + step, false);
          }
        }
      }
    }
    return out;
  }

  @Test
  void outputRowsExistOnlyWhereFlaggedAndAreGuardedInJava() {
    try (LlamaContext c = LlamaContext.create(model, options())) {
      assertThrows(IllegalStateException.class, () -> c.logits(-1)); // nothing decoded yet
      boolean[] out = new boolean[10];
      out[3] = true;
      out[9] = true;
      c.decode(Arrays.copyOf(tokens, 10), 0, out);
      assertEquals(10, c.nPast());
      assertTrue(c.hasOutput(3) && c.hasOutput(9) && c.hasOutput(-1));
      assertFalse(c.hasOutput(4));
      float[] l3 = c.logits(3);
      assertEquals(V, l3.length);
      for (float f : l3) {
        assertTrue(Float.isFinite(f));
      }
      assertArrayEquals(c.logits(9), c.logits(-1));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.logits(4));
      assertTrue(e.getMessage().contains("no output row"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> c.logits(10));
      assertThrows(IllegalArgumentException.class, () -> c.decode(new int[] {1}, 5, false)); // not at nPast
      assertThrows(IllegalArgumentException.class, () -> c.decode(new int[] {V}, 10, false)); // not a token
      assertThrows(IllegalArgumentException.class, () -> c.decode(new int[119], 10, false)); // past n_ctx
      assertThrows(IllegalStateException.class, () -> c.copyEmbedding(9, new float[E]));
    }
  }

  @Test
  void positionsPastGpt2sLearnedTableAreRefusedInJava() {
    // Position 128 would make ggml's get_rows on position_embd assert, which aborts the JVM.
    assertEquals(128, model.positionLimit());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LlamaContext.create(model, options().withNCtx(256)));
    assertTrue(e.getMessage().contains("128 positions"), e.getMessage());
  }

  @Test
  void inputLongerThanNBatchIsSplitAndEveryRowStaysReadable() {
    float[][] whole = new float[tokens.length][];
    float[][] split = new float[tokens.length][];
    try (LlamaContext c = LlamaContext.create(model, options())) {
      c.decode(tokens, 0, true);
      for (int i = 0; i < tokens.length; i++) {
        whole[i] = c.logits(i);
      }
    }
    // 64 is the smallest n_batch b4916 accepts for causal attention (GGML_KQ_MASK_PAD); 100 tokens need 2 chunks.
    try (LlamaContext c = LlamaContext.create(model, options().withBatch(64, 16))) {
      assertEquals(64, c.nBatch());
      c.decode(tokens, 0, true);
      assertEquals(tokens.length, c.nPast());
      for (int i = 0; i < tokens.length; i++) {
        split[i] = c.logits(i);
      }
    }
    double worst = 0;
    for (int i = 0; i < tokens.length; i++) {
      worst = Math.max(worst, maxAbsDiff(whole[i], split[i]));
    }
    // Different batch shapes may sum in a different order; anything beyond rounding would be a bug.
    assertTrue(worst < 1e-4, "max |whole - split| = " + worst);
  }

  @Test
  void capturedFinalNormTimesTheOutputMatrixGivesTheLogits() {
    float[] w = TinyGpt2.outputMatrix();
    try (LlamaContext c = LlamaContext.create(model, options().withCapture(LlamaContext.RESULT_NORM))) {
      boolean[] out = new boolean[30];
      out[0] = out[17] = out[29] = true;
      c.decode(Arrays.copyOf(tokens, 30), 0, out);
      CapturedTensor h = c.captured(LlamaContext.RESULT_NORM);
      assertEquals(E, h.width());
      assertEquals(3, h.rows()); // rows of output tokens only
      int[] which = {0, 17, 29};
      for (int r = 0; r < 3; r++) {
        float[] logits = c.logits(which[r]);
        float[] row = h.row(r);
        double worst = 0;
        for (int t = 0; t < V; t++) {
          double dot = 0;
          for (int k = 0; k < E; k++) {
            dot += (double) w[t * E + k] * row[k];
          }
          worst = Math.max(worst, Math.abs(dot - logits[t]));
        }
        assertTrue(worst < 1e-4, "row " + which[r] + ": max |W·h - logits| = " + worst);
      }
    }
  }

  @Test
  void lastFfnInputCaptureHasOneRowPerOutputTokenAndDiffersByPosition() {
    String key = LlamaContext.ffnInput(model.nLayer() - 1);
    assertEquals("ffn_norm-1", key);
    try (LlamaContext c = LlamaContext.create(model, options().withCapture(key, LlamaContext.RESULT_NORM))) {
      c.decode(Arrays.copyOf(tokens, 12), 0, true);
      CapturedTensor k = c.captured(key);
      assertEquals(E, k.width());
      assertEquals(12, k.rows());
      for (int r = 1; r < 12; r++) {
        assertFalse(Arrays.equals(k.row(r - 1), k.row(r)), "rows " + (r - 1) + " and " + r + " are equal");
      }
      // LayerNorm output with gain ~1 and small bias: mean ~0 and variance ~1 per row.
      for (int r = 0; r < 12; r++) {
        double mean = 0;
        for (float f : k.row(r)) {
          mean += f / E;
        }
        assertTrue(Math.abs(mean) < 0.1, "row " + r + " mean " + mean);
      }
      c.decode(new int[] {tokens[12]}, 12, false); // capture is per decode
      assertEquals(1, c.captured(key).rows());
      assertThrows(IllegalArgumentException.class, () -> c.captured("ffn_norm-0"));
    }
  }

  @Test
  void captureOfANameTheGraphLacksIsAnError() {
    try (LlamaContext c = LlamaContext.create(model, options().withCapture("no_such_node"))) {
      c.decode(Arrays.copyOf(tokens, 4), 0, false);
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.captured("no_such_node"));
      assertTrue(e.getMessage().contains("no graph node named no_such_node"), e.getMessage());
    }
  }

  @Test
  void embeddingsModeReturnsTheFinalNormOutput() {
    float[] captured;
    try (LlamaContext c = LlamaContext.create(model, options().withCapture(LlamaContext.RESULT_NORM))) {
      c.decode(Arrays.copyOf(tokens, 8), 0, false);
      captured = c.captured(LlamaContext.RESULT_NORM).row(0);
    }
    try (LlamaContext c = LlamaContext.create(model, options().withEmbeddings(true))) {
      c.decode(Arrays.copyOf(tokens, 8), 0, false);
      float[] emb = new float[E];
      c.copyEmbedding(-1, emb);
      assertTrue(maxAbsDiff(captured, emb) < 1e-5, "max diff " + maxAbsDiff(captured, emb));
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.logits(-1));
      assertTrue(e.getMessage().contains("embeddings"), e.getMessage());
    }
  }

  @Test
  void trimmingTheCacheAndDecodingAgainGivesBitIdenticalLogits() {
    try (LlamaContext c = LlamaContext.create(model, options())) {
      c.decode(Arrays.copyOf(tokens, 20), 0, false);
      c.decode(Arrays.copyOfRange(tokens, 20, 40), 20, true);
      float[] first = c.logits(19);
      float[] middle = c.logits(7);
      assertEquals(40, c.kvUsedCells());

      c.kvRemove(20, -1);
      assertEquals(20, c.nPast());
      assertEquals(20, c.kvUsedCells());
      c.decode(Arrays.copyOfRange(tokens, 20, 40), 20, true);
      assertArrayEquals(first, c.logits(19));
      assertArrayEquals(middle, c.logits(7));

      c.kvClear();
      assertEquals(0, c.nPast());
      assertEquals(0, c.kvUsedCells());
      c.decode(Arrays.copyOf(tokens, 20), 0, false);
      c.decode(Arrays.copyOfRange(tokens, 20, 40), 20, true);
      assertArrayEquals(first, c.logits(19));
    }
  }
}

package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.eval.SlidingWindowPerplexity;
import dev.memdec.converter.gpt2.Gpt2ReferenceModel;
import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.KvType;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * llama.cpp (F32 KV cache) against the plain-Java reference forward pass with llama.cpp's f16 GELU emulated
 * (llama-abi §9), on the tiny random-weight GPT-2: logits, the kNN key, and sliding-window perplexity.
 */
class LogitsParityE2eTest {
  private static final int CTX = 64;
  private static LlamaModel model;
  private static LlamaContext context;
  private static Gpt2ReferenceModel reference;
  private static int[] tokens;

  @BeforeAll
  static void setUp() throws Exception {
    model = LlamaModel.load(TinyGpt2.path(), ModelOptions.defaults());
    context = LlamaContext.create(model, ContextOptions.defaults().withNCtx(CTX).withBatch(CTX, CTX)
        .withKvType(KvType.F32).withCapture(LlamaContext.ffnInput(model.nLayer() - 1)));
    reference = new Gpt2ReferenceModel(TinyGpt2.CONFIG, TinyGpt2.WEIGHTS, true);
    tokens = model.vocab().tokenize(TinyGpt2.text(60), false, false);
  }

  @AfterAll
  static void tearDown() {
    context.close();
    model.close();
  }

  /** All logits rows of one window decoded from an empty cache. */
  private static float[][] llamaLogits(int[] window) {
    context.kvClear();
    context.decode(window, 0, true);
    float[][] rows = new float[window.length][];
    for (int i = 0; i < window.length; i++) {
      rows[i] = context.logits(i);
    }
    return rows;
  }

  private static double maxAbsDiff(float[][] a, float[][] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[i].length; j++) {
        m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
      }
    }
    return m;
  }

  @Test
  void logitsAndTheKnnKeyMatchTheReference() {
    int[] window = Arrays.copyOf(tokens, CTX);
    float[][] llama = llamaLogits(window);
    float[][] keys = new float[CTX][];
    for (int r = 0; r < CTX; r++) {
      keys[r] = context.captured(LlamaContext.ffnInput(model.nLayer() - 1)).row(r);
    }
    Gpt2ReferenceModel.Forward ref = reference.forward(window);
    double logitsDiff = maxAbsDiff(llama, ref.logits());
    double keyDiff = maxAbsDiff(keys, ref.lastFfnInput());
    System.out.printf("llama.cpp vs reference (f16 GELU emulated, F32 KV), %d positions: max |logit diff| = %.3g,"
        + " max |kNN key diff| = %.3g%n", CTX, logitsDiff, keyDiff);
    assertTrue(logitsDiff <= 1e-3, "max |logit diff| = " + logitsDiff);
    assertTrue(keyDiff <= 1e-3, "max |key diff| = " + keyDiff);
  }

  @Test
  void slidingWindowPerplexitiesAgree() {
    int[] text = Arrays.copyOf(tokens, 320);
    int stride = 32;
    var llama = SlidingWindowPerplexity.evaluate(LogitsParityE2eTest::llamaLogits, text, CTX, stride);
    var ref = SlidingWindowPerplexity.evaluate(reference::logits, text, CTX, stride);
    double rel = Math.abs(llama.perplexity() - ref.perplexity()) / ref.perplexity();
    System.out.printf("sliding-window perplexity (ctx %d, stride %d, %d targets): llama.cpp %.6f, reference %.6f,"
        + " relative diff %.3g%n", CTX, stride, llama.tokens(), llama.perplexity(), ref.perplexity(), rel);
    assertTrue(rel <= 1e-4, "relative perplexity diff " + rel);
  }
}

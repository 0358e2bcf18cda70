package dev.memdec.natives.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Sampler chains over hand-built logits: no model needed. */
class SamplerChainTest {
  private static float[] logits(int n, long seed) {
    Random r = new Random(seed);
    float[] l = new float[n];
    for (int i = 0; i < n; i++) {
      l[i] = (float) r.nextGaussian();
    }
    return l;
  }

  private static int argmax(float[] l) {
    int best = 0;
    for (int i = 1; i < l.length; i++) {
      if (l[i] > l[best]) {
        best = i;
      }
    }
    return best;
  }

  @Test
  void greedyPicksTheArgmax() {
    float[] l = logits(1000, 1);
    try (SamplerChain c = SamplerChain.builder().greedy().build()) {
      assertEquals(argmax(l), c.sample(l));
      assertEquals(List.of("greedy"), c.samplers());
    }
  }

  @Test
  void seededDistIsReproducibleAndTopKRestrictsTheDraw() {
    float[] l = logits(500, 2);
    List<Integer> a = new ArrayList<>();
    List<Integer> b = new ArrayList<>();
    try (SamplerChain c1 = SamplerChain.builder().topK(3).temp(1.5f).dist(42).build();
         SamplerChain c2 = SamplerChain.builder().topK(3).temp(1.5f).dist(42).build()) {
      for (int i = 0; i < 50; i++) {
        a.add(c1.sample(l));
        b.add(c2.sample(l));
      }
    }
    assertEquals(a, b);
    float[] sorted = l.clone();
    java.util.Arrays.sort(sorted);
    float third = sorted[sorted.length - 3];
    for (int t : a) {
      assertTrue(l[t] >= third, "token " + t + " outside the top 3");
    }
    assertTrue(a.stream().distinct().count() > 1, "temperature 1.5 over 3 tokens should vary: " + a);
  }

  @Test
  void topPMinPAndPenaltiesChainRunsAndPenaltyChangesTheChoice() {
    float[] l = new float[10];
    l[3] = 5f;
    l[7] = 4.9f;
    try (SamplerChain c = SamplerChain.builder().penalties(64, 2.0f, 0f, 0f).topP(0.95f).minP(0.05f)
        .greedy().build()) {
      assertEquals(3, c.sample(l)); // accepted: 3 now penalised (5 / 2 = 2.5 < 4.9)
      assertEquals(7, c.sample(l));
      c.reset();
      assertEquals(3, c.sample(l));
    }
  }

  @Test
  void logitBiasBansAToken() {
    float[] l = logits(100, 3);
    int best = argmax(l);
    try (SamplerChain c = SamplerChain.builder().logitBias(100, Map.of(best, Float.NEGATIVE_INFINITY)).greedy()
        .build()) {
      int t = c.sample(l);
      assertNotEquals(best, t);
      l[best] = Float.NEGATIVE_INFINITY;
      assertEquals(argmax(l), t);
    }
  }

  @Test
  void javaSamplerRunsInsideTheChainAndSeesAcceptedTokens() {
    float[] l = logits(300, 4);
    List<Integer> accepted = new ArrayList<>();
    int[] sizes = new int[1];
    JavaSampler boost = new JavaSampler() {
      @Override
      public void apply(TokenDataArray c) {
        sizes[0] = c.size();
        for (int i = 0; i < c.size(); i++) {
          if (c.id(i) == 17) {
            c.setLogit(i, c.logit(i) + 100f);
          }
        }
      }

      @Override
      public void accept(int token) {
        accepted.add(token);
      }
    };
    try (SamplerChain c = SamplerChain.builder().custom(boost).topK(5).greedy().build()) {
      assertEquals(17, c.sample(l));
      assertEquals(300, sizes[0]);
      c.accept(5);
      assertEquals(List.of(17, 5), accepted);
      assertEquals("java(" + boost.getClass().getSimpleName() + ")", c.samplers().get(0));
    }
  }

  @Test
  void javaSamplerBulkLogitAccessReadsAndWritesInCandidateOrder() {
    float[] l = logits(64, 9);
    float[] seen = new float[64];
    JavaSampler reverse = c -> {
      c.copyLogits(seen);
      float[] flipped = new float[c.size()];
      for (int i = 0; i < flipped.length; i++) {
        flipped[i] = -seen[i];
      }
      c.setLogits(flipped, flipped.length);
    };
    try (SamplerChain c = SamplerChain.builder().custom(reverse).greedy().build()) {
      int lowest = 0;
      for (int i = 1; i < l.length; i++) {
        if (l[i] < l[lowest]) {
          lowest = i;
        }
      }
      assertEquals(lowest, c.sample(l));
      assertEquals(java.util.Arrays.toString(l), java.util.Arrays.toString(seen));
    }
    JavaSampler tooMany = c -> c.copyLogits(new float[c.size() + 1]);
    try (SamplerChain c = SamplerChain.builder().custom(tooMany).greedy().build()) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.sample(l));
      assertTrue(e.getCause() instanceof IndexOutOfBoundsException, String.valueOf(e.getCause()));
    }
  }

  @Test
  void javaSamplerCanSelectAndItsExceptionsComeBackAsJavaExceptions() {
    JavaSampler pickLast = c -> c.select(c.size() - 1);
    try (SamplerChain c = SamplerChain.builder().custom(pickLast).build()) {
      assertEquals(49, c.sample(logits(50, 5)));
    }
    RuntimeException boom = new IllegalArgumentException("boom");
    JavaSampler failing = c -> {
      throw boom;
    };
    try (SamplerChain c = SamplerChain.builder().custom(failing).greedy().build()) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.sample(logits(50, 6)));
      assertSame(boom, e.getCause());
      float[] l = logits(50, 7);
      assertThrows(IllegalStateException.class, () -> c.sample(l)); // fails every time, JVM still alive
    }
  }

  @Test
  void chainThatSelectsNothingIsAJavaErrorNotACrash() {
    try (SamplerChain c = SamplerChain.builder().temp(0.7f).build()) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.sample(logits(20, 8)));
      assertTrue(e.getMessage().contains("selected no token"), e.getMessage());
    }
  }

  @Test
  void rejectsOutOfRangeParameters() {
    assertThrows(IllegalArgumentException.class, () -> SamplerChain.builder().topK(0));
    assertThrows(IllegalArgumentException.class, () -> SamplerChain.builder().penalties(-1, 1.1f, 0f, 0f));
    assertThrows(IllegalArgumentException.class, () -> SamplerChain.builder().topP(1.5f));
    assertThrows(IllegalArgumentException.class, () -> SamplerChain.builder().minP(-0.1f));
    assertThrows(IllegalArgumentException.class, () -> SamplerChain.builder().logitBias(10, Map.of(10, 1f)));
    assertThrows(IllegalArgumentException.class, () -> SamplerChain.builder().build());
  }
}

package dev.memdec.natives.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.natives.llama.GgmlCompute.Context;
import dev.memdec.natives.llama.GgmlCompute.Tensor;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Graphs on the runtime's ggml CPU backend against the same arithmetic done in Java. */
class GgmlComputeTest {

  @Test
  void aSmallGraphComputesWhatJavaComputes() {
    int in = 48;
    int out = 7;
    int rows = 3;
    Random r = new Random(4);
    float[] w = new float[out * in];
    float[] x = new float[rows * in];
    float[] g = new float[out];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) r.nextGaussian();
    }
    long bytes = 8 * Context.tensorBytes(4L * rows * in) + Context.graphBytes();
    try (GgmlCompute cpu = GgmlCompute.cpu(2); Context ctx = Context.allocate(bytes)) {
      Tensor wt = ctx.tensor(GgmlCompute.F32, in, out);
      Tensor xt = ctx.tensor(GgmlCompute.F32, in, rows);
      Tensor gt = ctx.tensor(GgmlCompute.F32, out, 1);
      wt.data().copyFrom(java.lang.foreign.MemorySegment.ofArray(w));
      xt.data().copyFrom(java.lang.foreign.MemorySegment.ofArray(x));
      gt.data().copyFrom(java.lang.foreign.MemorySegment.ofArray(g));
      // y = sigmoid(2 · (W·x ⊙ g)) + silu(W·x): products, broadcasting, scale and both element-wise functions.
      Tensor wx = ctx.mulMat(wt, xt);
      Tensor y = ctx.add(ctx.sigmoid(ctx.scale(ctx.mul(wx, gt), 2f)), ctx.silu(wx));
      assertEquals(out, y.cols());
      assertEquals(rows, y.rows());
      cpu.compute(ctx.graph(y));
      float[] got = y.data().toArray(ValueLayout.JAVA_FLOAT);
      double worst = 0;
      for (int b = 0; b < rows; b++) {
        for (int o = 0; o < out; o++) {
          double dot = 0;
          for (int i = 0; i < in; i++) {
            dot += (double) w[o * in + i] * x[b * in + i];
          }
          double expect = 1 / (1 + Math.exp(-2 * dot * g[o])) + dot / (1 + Math.exp(-dot));
          worst = Math.max(worst, Math.abs(expect - got[b * out + o]));
        }
      }
      assertTrue(worst < 1e-4, "max difference " + worst);
    }
  }

  @Test
  void aContextThatIsTooSmallRefusesTheTensorInsteadOfAbortingTheProcess() {
    try (Context ctx = Context.allocate(Context.tensorBytes(4L * 64))) {
      ctx.tensor(GgmlCompute.F32, 64, 1);
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> ctx.tensor(GgmlCompute.F32, 64, 1));
      assertTrue(e.getMessage().contains("has no room for a 1 x 64 tensor"), e.getMessage());
    }
  }

  @Test
  void quantizedRowsMustBeWholeBlocks() {
    assertEquals(34 * 3, GgmlCompute.rowBytes(GgmlCompute.Q8_0, 96));
    assertEquals(18 * 3, GgmlCompute.rowBytes(GgmlCompute.Q4_0, 96));
    assertEquals(2 * 96, GgmlCompute.rowBytes(GgmlCompute.BF16, 96));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> GgmlCompute.rowBytes(GgmlCompute.Q8_0, 40))
        .getMessage().contains("multiple of 32"));
    assertThrows(IllegalArgumentException.class, () -> GgmlCompute.cpu(0));
  }
}

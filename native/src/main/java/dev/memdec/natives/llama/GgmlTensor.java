package dev.memdec.natives.llama;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The few {@code struct ggml_tensor} fields the eval callback reads directly (x86_64; the same layout in b4916
 * and in v0.5.0's {@code ggml.h}, only the op numbers differ): the op and the
 * source pointers, which ggml exports no accessor for. Offsets and the op number were read from the shipped
 * library (a {@code ggml_get_rows} node built in a no-alloc ggml context, and {@code ggml_op_name} over the whole
 * enum); {@link #layoutMismatches()} repeats that check at start-up so another build can never be misread.
 *
 * <p>Layout facts: {@code type} at 0, {@code buffer} 8, {@code ne[4]} 16, {@code nb[4]} 48, {@code op} 80,
 * {@code op_params[16]} 84, {@code flags} 148, {@code src[10]} 152, {@code view_src} 232, {@code view_offs} 240,
 * {@code data} 248, {@code name[64]} 256, {@code extra} 320; size 336.
 */
final class GgmlTensor {
  static final long SIZE = 336;
  static final long NE = 16;
  static final long NB = 48;
  static final long OP = 80;
  static final long SRC = 152;
  static final long NAME = 256;
  /** {@code GGML_OP_NONE}: a leaf (weight or graph input), not computed by the graph. */
  static final int OP_NONE = 0;
  /** {@code GGML_OP_GET_ROWS} in the profile's {@code enum ggml_op}: 38 in b4916, 40 in v0.5.0's ggml.h. */
  static final int OP_GET_ROWS = LlamaLibrary.PROFILE == RuntimeProfile.V0_5_0 ? 40 : 38;
  private static final int TYPE_F32 = 0;
  private static final int TYPE_I32 = 26;

  /** {@code struct ggml_init_params}: mem_size, mem_buffer, no_alloc. */
  static final StructLayout INIT_PARAMS = structLayout(JAVA_LONG.withName("mem_size"),
      ADDRESS.withName("mem_buffer"), JAVA_BOOLEAN.withName("no_alloc"), paddingLayout(7));

  private GgmlTensor() {}

  /** The tensor at {@code t}, sized so its fields can be read. */
  static MemorySegment at(MemorySegment t) {
    return t.reinterpret(SIZE);
  }

  static int op(MemorySegment t) {
    return t.get(JAVA_INT, OP);
  }

  static MemorySegment src(MemorySegment t, int i) {
    return t.get(ADDRESS, SRC + (long) i * ADDRESS.byteSize());
  }

  static long ne(MemorySegment t, int dim) {
    return t.get(JAVA_LONG, NE + dim * 8L);
  }

  static long nb(MemorySegment t, int dim) {
    return t.get(JAVA_LONG, NB + dim * 8L);
  }

  /**
   * Builds {@code get_rows(F32 4×3, I32 [2])} in a no-alloc ggml context and checks every offset above against
   * it; returns one line per mismatch.
   */
  static List<String> layoutMismatches() {
    List<String> bad = new ArrayList<>();
    try (Arena arena = Arena.ofConfined()) {
      expect(bad, "ggml_op_name(" + OP_NONE + ")",
          Natives.string((MemorySegment) LlamaLibrary.GGML_OP_NAME.invokeExact(OP_NONE)), "NONE");
      expect(bad, "ggml_op_name(" + OP_GET_ROWS + ")",
          Natives.string((MemorySegment) LlamaLibrary.GGML_OP_NAME.invokeExact(OP_GET_ROWS)), "GET_ROWS");
      MemorySegment params = arena.allocate(INIT_PARAMS);
      params.set(JAVA_LONG, 0, 1 << 14);
      params.set(JAVA_BOOLEAN, 16, true);
      MemorySegment ctx = (MemorySegment) LlamaLibrary.GGML_INIT.invokeExact(params);
      if (ctx.address() == 0) {
        bad.add("ggml_init returned NULL");
        return bad;
      }
      try {
        MemorySegment x = (MemorySegment) LlamaLibrary.GGML_NEW_TENSOR_2D.invokeExact(ctx, TYPE_F32, 4L, 3L);
        MemorySegment ids = (MemorySegment) LlamaLibrary.GGML_NEW_TENSOR_1D.invokeExact(ctx, TYPE_I32, 2L);
        MemorySegment r = at((MemorySegment) LlamaLibrary.GGML_GET_ROWS.invokeExact(ctx, x, ids));
        MemorySegment namePtr = (MemorySegment) LlamaLibrary.GGML_GET_NAME.invokeExact(r);
        expect(bad, "ggml_tensor.op", op(r), OP_GET_ROWS);
        expect(bad, "ggml_tensor.op of a new tensor", op(at(x)), OP_NONE);
        expect(bad, "ggml_tensor.src[0]", src(r, 0).address(), x.address());
        expect(bad, "ggml_tensor.src[1]", src(r, 1).address(), ids.address());
        expect(bad, "ggml_tensor.ne[0..1]", ne(r, 0) + "x" + ne(r, 1), "4x2");
        expect(bad, "ggml_tensor.nb[0..1]", nb(r, 0) + "," + nb(r, 1), "4,16");
        expect(bad, "offset of ggml_tensor.name", namePtr.address() - r.address(), NAME);
      } finally {
        LlamaLibrary.GGML_FREE.invokeExact(ctx);
      }
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
    return bad;
  }

  private static void expect(List<String> bad, String what, Object actual, Object expected) {
    if (!actual.equals(expected)) {
      bad.add(what + " reads " + actual + ", expected " + expected);
    }
  }
}

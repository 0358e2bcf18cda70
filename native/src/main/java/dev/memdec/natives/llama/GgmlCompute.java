package dev.memdec.natives.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;

/**
 * Tensor graphs computed by ggml's CPU backend: the ggml inside the loaded llama.cpp runtime (either profile), so
 * a graph runs the very kernels llama.cpp runs on a host's weights of the same type (Q8_0 and Q4_0 products on the
 * activations quantized to Q8_0, as llama.cpp does), on a thread count of its own.
 *
 * <p>A {@link Context} owns tensors in one block that ggml allocates when the context is made: the weights, or a
 * graph's inputs and activations. ggml aborts the process when a context runs out of room, so a context counts
 * what each new tensor takes in Java first and refuses the tensor with an exception instead. {@link #compute}
 * runs a graph built in a context. Neither class is thread-safe.
 */
@SuppressWarnings("restricted") // calling native code is this class's purpose (native access is enabled)
public final class GgmlCompute implements AutoCloseable {
  /** {@code enum ggml_type} numbers memdec's memories use; the same in both profiles. */
  public static final int F32 = 0;
  public static final int F16 = 1;
  public static final int Q4_0 = 2;
  public static final int Q8_0 = 8;
  public static final int BF16 = 30;
  /** {@code GGML_MEM_ALIGN}: every tensor's data is padded to it inside a context. */
  private static final long MEM_ALIGN = 16;
  private static final int DEV_CPU = 0;
  /** {@code GGML_DEFAULT_GRAPH_SIZE}: the nodes (and, separately, the leaves) a default graph holds. */
  private static final int GRAPH_SIZE = 2048;

  private final MemorySegment backend;
  /** A build that uses pools ({@link CpuThreadPools#used}), more than one thread: the backend's own pool, else NULL. */
  private final MemorySegment threadpool;
  private final int threads;
  private boolean closed;

  private GgmlCompute(MemorySegment backend, MemorySegment threadpool, int threads) {
    this.backend = backend;
    this.threadpool = threadpool;
    this.threads = threads;
  }

  /**
   * The CPU backend of the loaded runtime on {@code threads} threads.
   *
   * @throws IllegalStateException when the runtime cannot be loaded or has no CPU backend
   */
  public static GgmlCompute cpu(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    LlamaRuntime.get();
    MemorySegment backend;
    try {
      MemorySegment dev = (MemorySegment) LlamaLibrary.GGML_BACKEND_DEV_BY_TYPE.invokeExact(DEV_CPU);
      if (dev.address() == 0) {
        throw new IllegalStateException("the llama.cpp runtime has no CPU backend registered");
      }
      backend = (MemorySegment) LlamaLibrary.GGML_BACKEND_DEV_INIT.invokeExact(dev, MemorySegment.NULL);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
    if (backend.address() == 0) {
      throw new IllegalStateException("ggml_backend_dev_init failed for the CPU device");
    }
    MemorySegment pool = MemorySegment.NULL;
    try {
      MethodHandle set = LlamaLibrary.LINKER.downcallHandle(CpuThreadPools.cpuFunction("ggml_backend_set_n_threads"),
          FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));
      set.invokeExact(backend, threads);
      if (threads > 1 && CpuThreadPools.used()) {
        // A pool of its own, not the contexts' shared one: a forward need not hold the inference lock. (OpenMP
        // builds, b4916's among them, run their threads as an OpenMP team, which persists by itself.)
        pool = CpuThreadPools.create(threads);
        MethodHandle poolSet = LlamaLibrary.LINKER.downcallHandle(
            CpuThreadPools.cpuFunction("ggml_backend_cpu_set_threadpool"), FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        poolSet.invokeExact(backend, pool);
      }
      return new GgmlCompute(backend, pool, threads);
    } catch (Throwable t) {
      try {
        LlamaLibrary.GGML_BACKEND_FREE.invokeExact(backend);
        if (pool.address() != 0) {
          CpuThreadPools.free(pool);
        }
      } catch (Throwable ignored) {
        // the first failure is the one to report
      }
      throw Natives.rethrow(t);
    }
  }

  public int threads() {
    return threads;
  }

  /** Runs {@code graph} (from {@link Context#graph}); its inputs' data must be written first. */
  public void compute(MemorySegment graph) {
    if (closed) {
      throw new IllegalStateException("the ggml CPU backend was closed");
    }
    int status;
    try {
      status = (int) LlamaLibrary.GGML_BACKEND_GRAPH_COMPUTE.invokeExact(backend, graph);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
    if (status != 0) {
      throw new IllegalStateException("ggml_backend_graph_compute returned status " + status);
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      try {
        LlamaLibrary.GGML_BACKEND_FREE.invokeExact(backend);
        if (threadpool.address() != 0) {
          CpuThreadPools.free(threadpool);
        }
      } catch (Throwable t) {
        throw Natives.rethrow(t);
      }
    }
  }

  /** Bytes one row of {@code cols} values of {@code type} takes (blocks of 32 for the quantized types). */
  public static long rowBytes(int type, long cols) {
    return switch (type) {
      case F32 -> 4 * cols;
      case F16, BF16 -> 2 * cols;
      case Q8_0 -> blocks(type, cols) * 34;
      case Q4_0 -> blocks(type, cols) * 18;
      default -> throw new IllegalArgumentException("ggml type " + type + " is not one GgmlCompute handles");
    };
  }

  private static long blocks(int type, long cols) {
    if (cols % 32 != 0) {
      throw new IllegalArgumentException("ggml type " + type + " needs rows of a multiple of 32 values, got " + cols);
    }
    return cols / 32;
  }

  /** A tensor of a {@link Context}: its address and its shape (cols = ne[0], rows = ne[1]). */
  public record Tensor(MemorySegment address, int type, long cols, long rows) {
    /** The tensor's data, {@code rows × rowBytes(type, cols)} bytes. */
    public MemorySegment data() {
      try {
        return ((MemorySegment) LlamaLibrary.GGML_GET_DATA.invokeExact(address)).reinterpret(rows * rowBytes(type, cols));
      } catch (Throwable t) {
        throw Natives.rethrow(t);
      }
    }
  }

  /** A ggml context that allocates its tensors in one block of a fixed size. */
  public static final class Context implements AutoCloseable {
    private final MemorySegment ctx;
    private final long capacity;
    private long used;
    private int leaves;
    private int nodes;
    private boolean closed;

    private Context(MemorySegment ctx, long capacity) {
      this.ctx = ctx;
      this.capacity = capacity;
    }

    /** What one tensor of {@code dataBytes} takes in a context: ggml's object and tensor headers, padded data. */
    public static long tensorBytes(long dataBytes) {
      try {
        return (long) LlamaLibrary.GGML_TENSOR_OVERHEAD.invokeExact() + (dataBytes + MEM_ALIGN - 1) / MEM_ALIGN * MEM_ALIGN;
      } catch (Throwable t) {
        throw Natives.rethrow(t);
      }
    }

    /** What one graph of ggml's default size (2,048 nodes) takes in a context. */
    public static long graphBytes() {
      try {
        return (long) LlamaLibrary.GGML_GRAPH_OVERHEAD.invokeExact();
      } catch (Throwable t) {
        throw Natives.rethrow(t);
      }
    }

    /**
     * A context of {@code bytes} (add up {@link #tensorBytes} and {@link #graphBytes} for what it will hold).
     *
     * @throws IllegalStateException when ggml cannot allocate it
     */
    public static Context allocate(long bytes) {
      LlamaRuntime.get();
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment params = arena.allocate(GgmlTensor.INIT_PARAMS);
        params.set(JAVA_LONG, 0, bytes);
        params.set(JAVA_BOOLEAN, 16, false);
        MemorySegment ctx = (MemorySegment) LlamaLibrary.GGML_INIT.invokeExact(params);
        if (ctx.address() == 0) {
          throw new IllegalStateException("ggml_init could not allocate a context of " + bytes + " bytes");
        }
        return new Context(ctx, bytes);
      } catch (Throwable t) {
        throw Natives.rethrow(t);
      }
    }

    private void reserve(long bytes, String what) {
      if (closed) {
        throw new IllegalStateException("the ggml context was closed");
      }
      if (used + bytes > capacity) {
        throw new IllegalStateException("ggml context of " + capacity + " bytes has no room for " + what + " ("
            + bytes + " bytes, " + used + " used)");
      }
      used += bytes;
    }

    /** A new {@code rows × cols} tensor of {@code type}; its data is uninitialised. */
    public Tensor tensor(int type, long cols, long rows) {
      reserve(tensorBytes(rows * rowBytes(type, cols)), "a " + rows + " x " + cols + " tensor");
      leaves++;
      try {
        return new Tensor((MemorySegment) LlamaLibrary.GGML_NEW_TENSOR_2D.invokeExact(ctx, type, cols, rows),
            type, cols, rows);
      } catch (Throwable t) {
        throw Natives.rethrow(t);
      }
    }

    private Tensor result(long cols, long rows, String op) {
      reserve(tensorBytes(rows * rowBytes(F32, cols)), op);
      nodes++;
      return new Tensor(MemorySegment.NULL, F32, cols, rows);
    }

    private static Tensor at(Tensor shape, Object address) {
      return new Tensor((MemorySegment) address, shape.type(), shape.cols(), shape.rows());
    }

    /** {@code w·x}: w is [out × in] (cols = in), x is [rows × in] F32; the result is [rows × out]. */
    public Tensor mulMat(Tensor w, Tensor x) {
      if (w.cols() != x.cols()) {
        throw new IllegalArgumentException("mul_mat of a " + w.cols() + "-wide matrix and " + x.cols() + "-wide rows");
      }
      Tensor r = result(w.rows(), x.rows(), "mul_mat");
      try {
        return at(r, (MemorySegment) LlamaLibrary.GGML_MUL_MAT.invokeExact(ctx, w.address(), x.address()));
      } catch (Throwable t) {
        throw Natives.rethrow(t);
      }
    }

    /** {@code a + b}, b broadcast over a's rows when it is one row. */
    public Tensor add(Tensor a, Tensor b) {
      return binary(LlamaLibrary.GGML_ADD, a, b, "add");
    }

    /** {@code a ⊙ b}, b broadcast over a's rows when it is one row. */
    public Tensor mul(Tensor a, Tensor b) {
      return binary(LlamaLibrary.GGML_MUL, a, b, "mul");
    }

    private Tensor binary(MethodHandle op, Tensor a, Tensor b, String name) {
      if (a.cols() != b.cols() || (b.rows() != a.rows() && b.rows() != 1)) {
        throw new IllegalArgumentException(name + " of " + a.rows() + " x " + a.cols() + " and " + b.rows() + " x "
            + b.cols());
      }
      Tensor r = result(a.cols(), a.rows(), name);
      try {
        return at(r, (MemorySegment) op.invokeExact(ctx, a.address(), b.address()));
      } catch (Throwable t) {
        throw Natives.rethrow(t);
      }
    }

    /** {@code s · a}. */
    public Tensor scale(Tensor a, float s) {
      return unary(MethodHandles.insertArguments(LlamaLibrary.GGML_SCALE, 2, s), a, "scale");
    }

    /** Each row minus its mean, over its standard deviation (LayerNorm without gain and bias). */
    public Tensor norm(Tensor a, float eps) {
      return unary(MethodHandles.insertArguments(LlamaLibrary.GGML_NORM, 2, eps), a, "norm");
    }

    /** Each row over its root mean square (RMSNorm without gain). */
    public Tensor rmsNorm(Tensor a, float eps) {
      return unary(MethodHandles.insertArguments(LlamaLibrary.GGML_RMS_NORM, 2, eps), a, "rms_norm");
    }

    /** {@code 1 / (1 + e^-a)}, element-wise. */
    public Tensor sigmoid(Tensor a) {
      return unary(LlamaLibrary.GGML_SIGMOID, a, "sigmoid");
    }

    /** {@code a · sigmoid(a)}, element-wise. */
    public Tensor silu(Tensor a) {
      return unary(LlamaLibrary.GGML_SILU, a, "silu");
    }

    /** An op {@code (ctx, a) -> tensor} whose result has a's shape (a float argument, if any, already bound). */
    private Tensor unary(MethodHandle op, Tensor a, String name) {
      Tensor r = result(a.cols(), a.rows(), name);
      try {
        return at(r, (MemorySegment) op.invokeExact(ctx, a.address()));
      } catch (Throwable t) {
        throw Natives.rethrow(t);
      }
    }

    /** A graph (ggml's default size) that computes {@code out} from the leaves it depends on. */
    public MemorySegment graph(Tensor out) {
      if (nodes > GRAPH_SIZE || leaves > GRAPH_SIZE) {
        throw new IllegalStateException("a ggml graph holds " + GRAPH_SIZE + " nodes and leaves; this context has "
            + nodes + " and " + leaves);
      }
      reserve(graphBytes(), "a graph");
      try {
        MemorySegment g = (MemorySegment) LlamaLibrary.GGML_NEW_GRAPH.invokeExact(ctx);
        LlamaLibrary.GGML_BUILD_FORWARD_EXPAND.invokeExact(g, out.address());
        return g;
      } catch (Throwable t) {
        throw Natives.rethrow(t);
      }
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        try {
          LlamaLibrary.GGML_FREE.invokeExact(ctx);
        } catch (Throwable t) {
          throw Natives.rethrow(t);
        }
      }
    }
  }
}

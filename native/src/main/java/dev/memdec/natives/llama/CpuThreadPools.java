package dev.memdec.natives.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.HashMap;
import java.util.Map;

/**
 * Persistent ggml CPU thread pools. A llama.cpp v0.5.0 build without OpenMP (the prebuilt npm packages) starts and
 * joins its worker threads in every graph compute unless the CPU backend has a pool; llama-bench attaches one to its
 * context, and so does memdec: every llama.cpp context of the process shares one pool per thread count, made on
 * first use and kept for the life of the process. Sharing is safe because every decode runs under {@link
 * InferenceLock}, one at a time. Pools never poll (poll 0): between two computes their threads sleep, leaving the
 * cores to the mixing and to the other model's decode. OpenMP builds (b4916, a {@code --llama-dir} build linking
 * libgomp) keep their own team and get no pool.
 */
@SuppressWarnings("restricted") // calling native code is this class's purpose (native access is enabled)
final class CpuThreadPools {
  /**
   * {@code struct ggml_threadpool_params} (the same in both profiles): {@code bool cpumask[GGML_MAX_N_THREADS = 512]},
   * then {@code int n_threads} at 512, {@code prio} at 516, {@code uint32_t poll} at 520, two bools; 528 bytes.
   */
  private static final long PARAMS_SIZE = 528;
  private static final long PARAMS_N_THREADS = 512;
  private static final long PARAMS_POLL = 520;
  private static final int DEV_CPU = 0;

  private static final Map<Integer, MemorySegment> SHARED = new HashMap<>();

  private CpuThreadPools() {}

  /** Whether the loaded build computes on pools: v0.5.0 without OpenMP (read once, on first use). */
  static boolean used() {
    return Used.VALUE;
  }

  private static final class Used {
    static final boolean VALUE = LlamaLibrary.PROFILE == RuntimeProfile.V0_5_0 && !LlamaRuntime.get().openMp();
  }

  /**
   * The process's pool of {@code threads} threads, for contexts that decode under {@link InferenceLock}; NULL for
   * one thread or a build that does not use pools (llama.cpp then runs as it would without one).
   */
  static synchronized MemorySegment shared(int threads) {
    if (threads == 1 || !used()) {
      return MemorySegment.NULL;
    }
    return SHARED.computeIfAbsent(threads, CpuThreadPools::create);
  }

  /**
   * A new pool of {@code threads} threads (poll 0) that the caller frees with {@link #free}.
   *
   * @throws IllegalStateException when the CPU backend offers no pools or the parameter layout differs
   */
  static MemorySegment create(int threads) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment params = arena.allocate(PARAMS_SIZE, 8);
      LlamaLibrary.GGML_THREADPOOL_PARAMS_INIT.invokeExact(params, threads);
      if (params.get(JAVA_INT, PARAMS_N_THREADS) != threads) {
        throw new IllegalStateException("ggml_threadpool_params does not have the layout memdec expects (n_threads "
            + "reads " + params.get(JAVA_INT, PARAMS_N_THREADS) + ")");
      }
      params.set(JAVA_INT, PARAMS_POLL, 0);
      MemorySegment pool = (MemorySegment) Functions.NEW.invokeExact(params);
      if (pool.address() == 0) {
        throw new IllegalStateException("ggml_threadpool_new failed for " + threads + " threads");
      }
      return pool;
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  static void free(MemorySegment pool) {
    try {
      Functions.FREE.invokeExact(pool);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /**
   * A function the CPU backend offers through its registry ({@code ggml_backend_reg_get_proc_address}): the
   * backend library may be loaded at run time, so its symbols are not looked up by name.
   *
   * @throws IllegalStateException when there is no CPU backend or it does not offer {@code name}
   */
  static MemorySegment cpuFunction(String name) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment dev = (MemorySegment) LlamaLibrary.GGML_BACKEND_DEV_BY_TYPE.invokeExact(DEV_CPU);
      if (dev.address() == 0) {
        throw new IllegalStateException("the llama.cpp runtime has no CPU backend registered");
      }
      MemorySegment reg = (MemorySegment) LlamaLibrary.GGML_BACKEND_DEV_BACKEND_REG.invokeExact(dev);
      MemorySegment f = (MemorySegment) LlamaLibrary.GGML_BACKEND_REG_GET_PROC_ADDRESS.invokeExact(reg,
          arena.allocateFrom(name));
      if (f.address() == 0) {
        throw new IllegalStateException("the CPU backend does not offer " + name);
      }
      return f;
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /** The pool functions, looked up on first use. */
  private static final class Functions {
    static final MethodHandle NEW = LlamaLibrary.LINKER.downcallHandle(cpuFunction("ggml_threadpool_new"),
        FunctionDescriptor.of(ADDRESS, ADDRESS));
    static final MethodHandle FREE = LlamaLibrary.LINKER.downcallHandle(cpuFunction("ggml_threadpool_free"),
        FunctionDescriptor.ofVoid(ADDRESS));
  }
}

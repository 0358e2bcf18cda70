package dev.memdec.natives.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The loaded llama.cpp library, checked once per process: it must be build {@value #EXPECTED_BUILD} and its
 * parameter-struct defaults must read back through our layouts as llama-abi.md §3 says. Any other build is
 * refused, because the struct layouts differ between builds and a wrong layout corrupts memory silently.
 *
 * <p>Every public entry point of this package calls {@link #get()} first, so nothing reaches native code
 * before these checks passed. {@code get()} also routes llama.cpp's log to {@code System.Logger}
 * ({@link LlamaLog}).
 */
@SuppressWarnings("restricted") // calling native code is this class's purpose (native access is enabled)
public final class LlamaRuntime {
  /** The llama.cpp build inside de.kherud:llama:4.2.0. */
  public static final int EXPECTED_BUILD = 4916;

  private static LlamaRuntime instance;
  private static RuntimeException failure;

  private final int buildNumber;
  private final String commit;

  private LlamaRuntime(int buildNumber, String commit) {
    this.buildNumber = buildNumber;
    this.commit = commit;
  }

  /**
   * Loads and checks the library on first use.
   *
   * @throws IllegalStateException if the library is missing, is another llama.cpp build, or its struct
   *     defaults differ from the b4916 layouts (the same exception on every later call)
   */
  public static synchronized LlamaRuntime get() {
    if (instance == null && failure == null) {
      try {
        MemorySegment buildSymbol = LlamaLibrary.symbol("LLAMA_BUILD_NUMBER").reinterpret(JAVA_INT.byteSize());
        MemorySegment commitSymbol = LlamaLibrary.symbol("LLAMA_COMMIT").reinterpret(ADDRESS.byteSize());
        int build = buildSymbol.get(JAVA_INT, 0);
        String commit = commitSymbol.get(ADDRESS, 0).reinterpret(256).getString(0);
        checkBuild(build, commit);
        List<String> mismatches = structMismatches();
        if (!mismatches.isEmpty()) {
          throw new IllegalStateException("libjllama.so build " + build + " (" + commit
              + ") does not match the b4916 struct layouts: " + String.join("; ", mismatches));
        }
        LlamaLog.install();
        instance = new LlamaRuntime(build, commit);
      } catch (RuntimeException | LinkageError e) {
        failure = e instanceof IllegalStateException ise ? ise
            : new IllegalStateException("cannot load llama.cpp through java-llama.cpp: " + e, e);
      }
    }
    if (failure != null) {
      throw failure;
    }
    return instance;
  }

  /** Refuses anything but build {@value #EXPECTED_BUILD}; the message names both builds. */
  static void checkBuild(int build, String commit) {
    if (build != EXPECTED_BUILD) {
      throw new IllegalStateException("libjllama.so is llama.cpp build " + build + " (commit " + commit
          + "), but memdec's FFM layouts are for build " + EXPECTED_BUILD
          + " (java-llama.cpp de.kherud:llama:4.2.0); use that artifact's library");
    }
  }

  /**
   * Reads the three {@code *_default_params} structs through our layouts and compares sizes and every
   * default with the values disassembled from b4916 (llama-abi.md §3, §6), then checks the {@code ggml_tensor}
   * fields the eval callback reads ({@link GgmlTensor}). Returns one line per mismatch.
   */
  static List<String> structMismatches() {
    List<String> bad = new ArrayList<>();
    expect(bad, "sizeof(llama_model_params)", LlamaLibrary.MODEL_PARAMS.byteSize(), 64L);
    expect(bad, "sizeof(llama_context_params)", LlamaLibrary.CONTEXT_PARAMS.byteSize(), 120L);
    expect(bad, "sizeof(llama_batch)", LlamaLibrary.BATCH.byteSize(), 56L);
    expect(bad, "sizeof(llama_token_data)", LlamaLibrary.TOKEN_DATA.byteSize(), 12L);
    expect(bad, "sizeof(llama_token_data_array)", LlamaLibrary.TOKEN_DATA_ARRAY.byteSize(), 32L);
    expect(bad, "sizeof(llama_sampler_i)", LlamaLibrary.SAMPLER_IFACE.byteSize(), 48L);
    expect(bad, "sizeof(llama_sampler)", LlamaLibrary.SAMPLER.byteSize(), 16L);
    expect(bad, "sizeof(llama_sampler_chain_params)", LlamaLibrary.CHAIN_PARAMS.byteSize(), 1L);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment m = (MemorySegment) LlamaLibrary.MODEL_DEFAULT_PARAMS.invokeExact((SegmentAllocator) arena);
      StructLayout ml = LlamaLibrary.MODEL_PARAMS;
      expect(bad, "model.devices", m.get(ADDRESS, LlamaLibrary.offset(ml, "devices")).address(), 0L);
      expectInt(bad, "model", m, ml, "n_gpu_layers", 0);
      expectInt(bad, "model", m, ml, "split_mode", 1);
      expectInt(bad, "model", m, ml, "main_gpu", 0);
      expectBool(bad, "model", m, ml, "vocab_only", false);
      expectBool(bad, "model", m, ml, "use_mmap", true);
      expectBool(bad, "model", m, ml, "use_mlock", false);
      expectBool(bad, "model", m, ml, "check_tensors", false);

      MemorySegment c = (MemorySegment) LlamaLibrary.CONTEXT_DEFAULT_PARAMS.invokeExact((SegmentAllocator) arena);
      StructLayout cl = LlamaLibrary.CONTEXT_PARAMS;
      expectInt(bad, "context", c, cl, "n_ctx", 512);
      expectInt(bad, "context", c, cl, "n_batch", 2048);
      expectInt(bad, "context", c, cl, "n_ubatch", 512);
      expectInt(bad, "context", c, cl, "n_seq_max", 1);
      expectInt(bad, "context", c, cl, "n_threads", 4);
      expectInt(bad, "context", c, cl, "n_threads_batch", 4);
      expectInt(bad, "context", c, cl, "rope_scaling_type", -1);
      expectInt(bad, "context", c, cl, "pooling_type", -1);
      expectInt(bad, "context", c, cl, "attention_type", -1);
      expectFloat(bad, c, cl, "rope_freq_base", 0f);
      expectFloat(bad, c, cl, "rope_freq_scale", 0f);
      expectFloat(bad, c, cl, "yarn_ext_factor", -1f);
      expectFloat(bad, c, cl, "yarn_attn_factor", 1f);
      expectFloat(bad, c, cl, "yarn_beta_fast", 32f);
      expectFloat(bad, c, cl, "yarn_beta_slow", 1f);
      expectInt(bad, "context", c, cl, "yarn_orig_ctx", 0);
      expectFloat(bad, c, cl, "defrag_thold", -1f);
      expectInt(bad, "context", c, cl, "type_k", KvType.F16.ggmlType());
      expectInt(bad, "context", c, cl, "type_v", KvType.F16.ggmlType());
      expectBool(bad, "context", c, cl, "logits_all", false);
      expectBool(bad, "context", c, cl, "embeddings", false);
      expectBool(bad, "context", c, cl, "offload_kqv", true);
      expectBool(bad, "context", c, cl, "flash_attn", false);
      expectBool(bad, "context", c, cl, "no_perf", true);

      MemorySegment s = (MemorySegment) LlamaLibrary.CHAIN_DEFAULT_PARAMS.invokeExact((SegmentAllocator) arena);
      expectBool(bad, "sampler_chain", s, LlamaLibrary.CHAIN_PARAMS, "no_perf", true);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
    bad.addAll(GgmlTensor.layoutMismatches());
    return bad;
  }

  private static void expect(List<String> bad, String what, Object actual, Object expected) {
    if (!Objects.equals(actual, expected)) {
      bad.add(what + " is " + actual + ", expected " + expected);
    }
  }

  private static void expectInt(List<String> bad, String struct, MemorySegment s, StructLayout l, String f, int v) {
    expect(bad, struct + "." + f, s.get(JAVA_INT, LlamaLibrary.offset(l, f)), v);
  }

  private static void expectBool(List<String> bad, String struct, MemorySegment s, StructLayout l, String f,
      boolean v) {
    expect(bad, struct + "." + f, s.get(JAVA_BOOLEAN, LlamaLibrary.offset(l, f)), v);
  }

  private static void expectFloat(List<String> bad, MemorySegment s, StructLayout l, String f, float v) {
    expect(bad, "context." + f, s.get(JAVA_FLOAT, LlamaLibrary.offset(l, f)), v);
  }

  /** {@code LLAMA_BUILD_NUMBER} of the loaded library (always {@value #EXPECTED_BUILD} once loaded). */
  public int buildNumber() {
    return buildNumber;
  }

  /** {@code LLAMA_COMMIT} of the loaded library, e.g. {@code c6af2161}. */
  public String commit() {
    return commit;
  }

  /** {@code llama_print_system_info()}: the CPU features the library was built with and uses. */
  public String systemInfo() {
    try {
      MemorySegment p = (MemorySegment) LlamaLibrary.PRINT_SYSTEM_INFO.invokeExact();
      return Natives.string(p);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }
}

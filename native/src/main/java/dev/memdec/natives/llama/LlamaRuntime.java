package dev.memdec.natives.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The loaded llama.cpp library of the process's {@link RuntimeProfile}, checked once per process: b4916 must be
 * build {@value #EXPECTED_BUILD}, v0.5.0 must report {@value #EXPECTED_V050_VERSION} from the pinned, checksummed
 * package; and the parameter-struct sizes and defaults must read back through the profile's layouts as that
 * build's header says. Anything else is refused, because the struct layouts differ between builds and a wrong
 * layout corrupts memory silently.
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

  private final RuntimeProfile profile;
  private final int buildNumber;
  private final String commit;
  private final List<String> gpuDevices;

  private LlamaRuntime(RuntimeProfile profile, int buildNumber, String commit, List<String> gpuDevices) {
    this.profile = profile;
    this.buildNumber = buildNumber;
    this.commit = commit;
    this.gpuDevices = gpuDevices;
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
        RuntimeProfile profile = LlamaLibrary.PROFILE;
        int build;
        String commit;
        if (profile == RuntimeProfile.V0_5_0) {
          build = -1;
          commit = "llama_version " + Natives.string(call0("llama_version")) + ", ggml "
              + Natives.string(call0("ggml_version")) + " " + Natives.string(call0("ggml_commit"));
          checkVersion(Natives.string(call0("llama_version")));
        } else {
          MemorySegment buildSymbol = LlamaLibrary.symbol("LLAMA_BUILD_NUMBER").reinterpret(JAVA_INT.byteSize());
          MemorySegment commitSymbol = LlamaLibrary.symbol("LLAMA_COMMIT").reinterpret(ADDRESS.byteSize());
          build = buildSymbol.get(JAVA_INT, 0);
          commit = commitSymbol.get(ADDRESS, 0).reinterpret(256).getString(0);
          checkBuild(build, commit);
        }
        List<String> mismatches = structMismatches();
        if (!mismatches.isEmpty()) {
          throw new IllegalStateException("llama.cpp runtime " + profile + " (" + commit
              + ") does not match memdec's " + profile + " struct layouts: " + String.join("; ", mismatches));
        }
        if (profile == RuntimeProfile.B4916) {
          LlamaLog.install();  // v0.5.0's loading installed it before loading the backends
        }
        List<String> gpus = profile == RuntimeProfile.V0_5_0 ? listGpuDevices() : List.of();
        if (LlamaLibrary.GPU_BACKEND != GpuBackend.NONE && gpus.isEmpty()) {
          throw new IllegalStateException("--gpu-backend " + LlamaLibrary.GPU_BACKEND + ": llama.cpp found no "
              + LlamaLibrary.GPU_BACKEND + " device on this machine (" + whyNoDevice(LlamaLibrary.GPU_BACKEND)
              + "); leave --gpu-backend unset to run on the CPU");
        }
        instance = new LlamaRuntime(profile, build, commit, gpus);
      } catch (ExceptionInInitializerError e) {
        // LlamaLibrary's loading failed: a bad MEMDEC_RUNTIME, a missing or damaged v0.5.0 package
        failure = e.getCause() instanceof RuntimeException re && re.getMessage() != null
            ? new IllegalStateException(re.getMessage(), re)
            : new IllegalStateException("cannot load llama.cpp: " + e.getCause(), e.getCause());
      } catch (RuntimeException | LinkageError e) {
        failure = e instanceof IllegalStateException ise ? ise
            : new IllegalStateException("cannot load llama.cpp (runtime " + RuntimeProfile.selected() + "): " + e, e);
      }
    }
    if (failure != null) {
      throw failure;
    }
    return instance;
  }

  /** Calls a {@code const char *f(void)} of the loaded library. */
  private static MemorySegment call0(String name) {
    try {
      return (MemorySegment) LlamaLibrary.LINKER.downcallHandle(LlamaLibrary.symbol(name),
          java.lang.foreign.FunctionDescriptor.of(ADDRESS)).invokeExact();
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /** The version string {@code llama_version()} returns in the v0.5.0 package (LLAMA_VERSION of the tag's CMake). */
  static final String EXPECTED_V050_VERSION = "0.5.0-dev";

  /** Refuses a v0.5.0-profile library whose {@code llama_version()} is not {@value #EXPECTED_V050_VERSION}. */
  static void checkVersion(String version) {
    if (!EXPECTED_V050_VERSION.equals(version)) {
      throw new IllegalStateException("the v0.5.0 runtime's libllama reports version " + version
          + ", but memdec's v0.5.0 layouts are for " + EXPECTED_V050_VERSION
          + " (npm @node-llama-cpp/linux-x64@3.22.1); reinstall it with scripts/setup.sh");
    }
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
   * Reads the three {@code *_default_params} structs through the profile's layouts and compares sizes and every
   * default with the header of that build (b4916: disassembled, llama-abi.md §3, §6; v0.5.0: {@code llama.h} and
   * {@code llama_*_default_params} of the v0.5.0 tag), then checks the {@code ggml_tensor} fields the eval callback
   * reads ({@link GgmlTensor}). Returns one line per mismatch.
   */
  static List<String> structMismatches() {
    Expected e = LlamaLibrary.PROFILE == RuntimeProfile.V0_5_0 ? Expected.V050 : Expected.B4916;
    List<String> bad = new ArrayList<>();
    expect(bad, "sizeof(llama_model_params)", LlamaLibrary.MODEL_PARAMS.byteSize(), e.modelSize);
    expect(bad, "sizeof(llama_context_params)", LlamaLibrary.CONTEXT_PARAMS.byteSize(), e.contextSize);
    expect(bad, "sizeof(llama_batch)", LlamaLibrary.BATCH.byteSize(), 56L);
    expect(bad, "sizeof(llama_token_data)", LlamaLibrary.TOKEN_DATA.byteSize(), 12L);
    expect(bad, "sizeof(llama_token_data_array)", LlamaLibrary.TOKEN_DATA_ARRAY.byteSize(), 32L);
    expect(bad, "sizeof(llama_sampler_i)", LlamaLibrary.SAMPLER_IFACE.byteSize(), e.samplerIfaceSize);
    expect(bad, "sizeof(llama_sampler)", LlamaLibrary.SAMPLER.byteSize(), 16L);
    expect(bad, "sizeof(llama_sampler_chain_params)", LlamaLibrary.CHAIN_PARAMS.byteSize(), 1L);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment m = (MemorySegment) LlamaLibrary.MODEL_DEFAULT_PARAMS.invokeExact((SegmentAllocator) arena);
      expectDefaults(bad, "model", m, LlamaLibrary.MODEL_PARAMS, e.model);
      MemorySegment c = (MemorySegment) LlamaLibrary.CONTEXT_DEFAULT_PARAMS.invokeExact((SegmentAllocator) arena);
      expectDefaults(bad, "context", c, LlamaLibrary.CONTEXT_PARAMS, e.context);
      MemorySegment s = (MemorySegment) LlamaLibrary.CHAIN_DEFAULT_PARAMS.invokeExact((SegmentAllocator) arena);
      expectDefaults(bad, "sampler_chain", s, LlamaLibrary.CHAIN_PARAMS, new Object[] {"no_perf", true});
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
    bad.addAll(GgmlTensor.layoutMismatches());
    return bad;
  }

  /** Struct sizes and {@code *_default_params} values of one build; pointers are given as {@code 0L} (NULL). */
  private record Expected(long modelSize, long contextSize, long samplerIfaceSize, Object[] model, Object[] context) {
    static final Expected B4916 = new Expected(64, 120, 48,
        new Object[] {"devices", 0L, "n_gpu_layers", 0, "split_mode", 1, "main_gpu", 0, "vocab_only", false,
            "use_mmap", true, "use_mlock", false, "check_tensors", false},
        new Object[] {"n_ctx", 512, "n_batch", 2048, "n_ubatch", 512, "n_seq_max", 1, "n_threads", 4,
            "n_threads_batch", 4, "rope_scaling_type", -1, "pooling_type", -1, "attention_type", -1,
            "rope_freq_base", 0f, "rope_freq_scale", 0f, "yarn_ext_factor", -1f, "yarn_attn_factor", 1f,
            "yarn_beta_fast", 32f, "yarn_beta_slow", 1f, "yarn_orig_ctx", 0, "defrag_thold", -1f,
            "type_k", KvType.F16.ggmlType(), "type_v", KvType.F16.ggmlType(), "logits_all", false,
            "embeddings", false, "offload_kqv", true, "flash_attn", false, "no_perf", true});
    static final Expected V050 = new Expected(80, 160, 96,
        new Object[] {"devices", 0L, "tensor_buft_overrides", 0L, "n_gpu_layers", -1, "split_mode", 1,
            "load_mode", -1, "lazy_mode", 1, "main_gpu", 0, "tensor_split", 0L, "progress_callback", 0L,
            "kv_overrides", 0L, "vocab_only", false, "check_tensors", false, "use_extra_bufts", true,
            "no_host", false, "no_alloc", false, "load_mtp", false},
        new Object[] {"n_ctx", 512, "n_batch", 2048, "n_ubatch", 512, "n_seq_max", 1, "n_rs_seq", 0,
            "n_outputs_max", 0, "n_outputs_max_per_seq", 1, "n_threads", 4, "n_threads_batch", 4, "ctx_type", 0,
            "rope_scaling_type", -1, "pooling_type", -1, "attention_type", -1, "flash_attn_type", -1,
            "rope_freq_base", 0f, "rope_freq_scale", 0f, "yarn_ext_factor", -1f, "yarn_attn_factor", -1f,
            "yarn_beta_fast", -1f, "yarn_beta_slow", -1f, "yarn_orig_ctx", 0, "defrag_thold", -1f,
            "cb_eval", 0L, "type_k", KvType.F16.ggmlType(), "type_v", KvType.F16.ggmlType(),
            "abort_callback", 0L, "embeddings", false, "offload_kqv", true, "no_perf", true, "op_offload", true,
            "swa_full", true, "kv_unified", false, "samplers", 0L, "n_samplers", 0L, "ctx_other", 0L});
  }

  /** Compares each (field, value) pair of {@code pairs}, reading the field with the type of its value. */
  private static void expectDefaults(List<String> bad, String struct, MemorySegment s, StructLayout l, Object[] pairs) {
    for (int i = 0; i < pairs.length; i += 2) {
      String f = (String) pairs[i];
      long off = LlamaLibrary.offset(l, f);
      boolean pointer = l.select(java.lang.foreign.MemoryLayout.PathElement.groupElement(f)) instanceof
          java.lang.foreign.AddressLayout;
      Object actual = switch (pairs[i + 1]) {
        case Integer x -> s.get(JAVA_INT, off);
        case Float x -> s.get(JAVA_FLOAT, off);
        case Boolean x -> s.get(JAVA_BOOLEAN, off);
        case Long x -> pointer ? s.get(ADDRESS, off).address() : s.get(JAVA_LONG, off);
        default -> throw new IllegalArgumentException(f);
      };
      expect(bad, struct + "." + f, actual, pairs[i + 1]);
    }
  }

  private static void expect(List<String> bad, String what, Object actual, Object expected) {
    if (!Objects.equals(actual, expected)) {
      bad.add(what + " is " + actual + ", expected " + expected);
    }
  }

  /** The profile this process runs on. */
  public RuntimeProfile profile() {
    return profile;
  }

  /** {@code LLAMA_BUILD_NUMBER} of the loaded b4916 library ({@value #EXPECTED_BUILD}); -1 on v0.5.0, which exports none. */
  public int buildNumber() {
    return buildNumber;
  }

  /** {@code LLAMA_COMMIT} of the loaded b4916 library, e.g. {@code c6af2161}; on v0.5.0 the llama and ggml versions. */
  public String commit() {
    return commit;
  }

  /** The GPU build loaded ({@link GpuBackend#NONE} for a CPU build and always on b4916). */
  public GpuBackend gpuBackend() {
    return LlamaLibrary.GPU_BACKEND;
  }

  /**
   * The GPU devices ggml registered, as {@code name (description)}, e.g. {@code Vulkan0 (llvmpipe (LLVM 15.0.6,
   * 256 bits))}; empty on a CPU build. llama.cpp splits offloaded layers ({@link ModelOptions#gpuLayers()}) across them.
   */
  public List<String> gpuDevices() {
    return gpuDevices;
  }

  /**
   * Why a GPU build registered no device: its backend library does not load (the dynamic loader's reason, e.g. a
   * missing {@code libcuda.so.1}), or it loaded and found no device.
   */
  private static String whyNoDevice(GpuBackend backend) {
    String lib = RuntimeProfile.v050Dir(backend).toAbsolutePath().resolve(backend.backendLibrary()).toString();
    try (Arena arena = Arena.ofConfined()) {
      var libc = LlamaLibrary.LINKER.defaultLookup();
      var dlopen = LlamaLibrary.LINKER.downcallHandle(libc.find("dlopen").orElseThrow(),
          java.lang.foreign.FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
      var dlerror = LlamaLibrary.LINKER.downcallHandle(libc.find("dlerror").orElseThrow(),
          java.lang.foreign.FunctionDescriptor.of(ADDRESS));
      MemorySegment handle = (MemorySegment) dlopen.invokeExact(arena.allocateFrom(lib), 1 /* RTLD_LAZY */);
      if (handle.address() == 0) {
        return backend.backendLibrary() + " does not load: " + Natives.string((MemorySegment) dlerror.invokeExact());
      }
      // loaded (and left loaded: ggml loaded it too); the device list it gave ggml was empty
      return backend.backendLibrary() + " loads, but lists no device: no GPU, or no driver for it";
    } catch (Throwable t) {
      return "no GPU, or no driver for it";
    }
  }

  /**
   * ggml's registered GPU devices: {@code ggml_backend_dev_type} GPU (1) or IGPU (2); not the CPU (0), nor
   * accelerators (3, e.g. a BLAS backend) or meta devices (4), which take no offloaded layers.
   */
  private static List<String> listGpuDevices() {
    List<String> gpus = new ArrayList<>();
    try {
      long n = (long) LlamaLibrary.DEV_COUNT.invokeExact();
      for (long i = 0; i < n; i++) {
        MemorySegment dev = (MemorySegment) LlamaLibrary.DEV_GET.invokeExact(i);
        int type = (int) LlamaLibrary.DEV_TYPE.invokeExact(dev);
        if (type == 1 || type == 2) {
          gpus.add(Natives.string((MemorySegment) LlamaLibrary.DEV_NAME.invokeExact(dev)) + " ("
              + Natives.string((MemorySegment) LlamaLibrary.DEV_DESCRIPTION.invokeExact(dev)) + ")");
        }
      }
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
    return List.copyOf(gpus);
  }

  /**
   * True when the CPU backend runs its threads as OpenMP teams (system info {@code OPENMP = 1}: b4916, and a
   * {@code --llama-dir} build that links libgomp). Such a team's idle workers spin for a while after every decode, so
   * Java threads handed work right after a decode compete with them for the cores; the prebuilt v0.5.0 backend's
   * threads end with the decode.
   */
  public boolean openMp() {
    return systemInfo().contains("OPENMP = 1");
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

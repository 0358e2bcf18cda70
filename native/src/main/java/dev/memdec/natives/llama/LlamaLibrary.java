package dev.memdec.natives.llama;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The llama.cpp C ABI of the process's {@link RuntimeProfile}: struct layouts and downcall handles. Only what
 * differs between the profiles is chosen here (the parameter-struct and sampler-interface layouts, the KV-cache
 * calls, how the library is found); everything else is the same symbol with the same signature in both.
 *
 * <p>b4916 is java-llama.cpp 4.2.0's {@code libjllama.so} (facts in shared/docs/llama-abi.md §3, §4). v0.5.0 is
 * the prebuilt {@code libllama.v0.5.0.so} of npm {@code @node-llama-cpp/linux-x64@3.22.1} (layouts from that
 * tag's {@code include/llama.h}; runtime-v0.5.md): its libraries are checked against pinned sha256 sums, loaded
 * by path, and the CPU backend that fits this machine is loaded with {@code ggml_backend_load_all_from_path}.
 *
 * <p>The b4916 library is loaded by java-llama.cpp's own loader (initializing {@code de.kherud.llama.LlamaModel}
 * runs {@code LlamaLoader.initialize()}, which {@code System.load}s the extracted library from this class
 * loader), and symbols are then found through {@link SymbolLookup#loaderLookup()}. That gives the one library
 * instance per process that java-llama.cpp also uses; loading a second copy from another path would give
 * separate globals (logger, backend registry).
 *
 * <p>Handles are static finals so the JIT can constant-fold them; every call site uses {@code invokeExact}
 * with the exact descriptor types. Nothing here calls native code: {@link LlamaRuntime} checks the build
 * number and the struct defaults before any other class may use these handles.
 */
@SuppressWarnings("restricted") // calling native code is this class's purpose (native access is enabled)
final class LlamaLibrary {
  private LlamaLibrary() {}

  static final Linker LINKER = Linker.nativeLinker();
  /** The profile of this process, fixed when this class initializes. */
  static final RuntimeProfile PROFILE = RuntimeProfile.selected();
  /** The v0.5.0 build of this process (CPU, Vulkan or CUDA), fixed when this class initializes. */
  static final GpuBackend GPU_BACKEND = GpuBackend.selected();
  /** The folder of a build of the user's own ({@code --llama-dir}), or null; fixed when this class initializes. */
  private static final Path LOCAL_DIR = LocalBuild.selectedDir();
  private static final boolean V050 = PROFILE == RuntimeProfile.V0_5_0;
  static final SymbolLookup LOOKUP = V050 ? loadV050() : loadThroughJavaLlamaCpp();

  static {
    RuntimeProfile.markLoaded(PROFILE);
    GpuBackend.markLoaded(GPU_BACKEND);
  }

  /**
   * Verifies the chosen v0.5.0 build's checksums (a pinned package's, or the manifest of a {@link LocalBuild}),
   * opens its {@code libllama} (a package's finds its ggml libraries next to it through its {@code $ORIGIN} run
   * path) and loads the backends in its folder: the CPU backend for this machine and, in a GPU build, the GPU
   * backend (which registers no device where it finds none).
   */
  private static SymbolLookup loadV050() {
    Path dir;
    SymbolLookup all;
    if (LOCAL_DIR != null) {
      if (GPU_BACKEND != GpuBackend.NONE) {
        throw new IllegalStateException("--llama-dir and --gpu-backend " + GPU_BACKEND + " exclude each other: a "
            + "build of your own has the backends it was built with");
      }
      // a build of the user's own: its libraries by absolute path in dependency order, so that each finds the
      // ones before it by soname whatever run path the build recorded
      LocalBuild build = LocalBuild.read(LOCAL_DIR.toAbsolutePath());
      dir = build.dir();
      all = null;
      for (String name : build.load()) {
        SymbolLookup lib = SymbolLookup.libraryLookup(dir.resolve(name), Arena.global());
        all = all == null ? lib : lib.or(all);
      }
    } else {
      dir = RuntimeProfile.v050Dir(GPU_BACKEND).toAbsolutePath();
      RuntimeProfile.verifyV050(dir, GPU_BACKEND);
      SymbolLookup llama = SymbolLookup.libraryLookup(dir.resolve(GPU_BACKEND.llamaLibrary()), Arena.global());
      SymbolLookup ggml = SymbolLookup.libraryLookup(dir.resolve(GPU_BACKEND.ggmlLibrary()), Arena.global());
      SymbolLookup base = SymbolLookup.libraryLookup(dir.resolve("libggml-base.so"), Arena.global());
      all = llama.or(ggml).or(base);
    }
    LlamaLog.install(LINKER.downcallHandle(all.find("llama_log_set").orElseThrow(),
        FunctionDescriptor.ofVoid(ADDRESS, ADDRESS)));
    MethodHandle loadAll = LINKER.downcallHandle(all.find("ggml_backend_load_all_from_path").orElseThrow(),
        FunctionDescriptor.ofVoid(ADDRESS));
    try (Arena arena = Arena.ofConfined()) {
      loadAll.invokeExact(arena.allocateFrom(dir.toString()));
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
    return all;
  }

  private static SymbolLookup loadThroughJavaLlamaCpp() {
    if (LOCAL_DIR != null) {
      throw new IllegalStateException("--llama-dir needs --runtime v0.5.0: it loads a build of llama.cpp v0.5.0, "
          + "and b4916 is java-llama.cpp's own library");
    }
    if (GPU_BACKEND != GpuBackend.NONE) {
      throw new IllegalStateException("--gpu-backend " + GPU_BACKEND + " needs --runtime v0.5.0: llama.cpp b4916 "
          + "(java-llama.cpp's library) is a CPU build");
    }
    // java-llama.cpp's loader prints "Extracted 'libjllama.so' ..." to standard output, which would corrupt
    // streamed text and --json output of every caller; send that line to standard error instead.
    PrintStream out = System.out;
    System.setOut(System.err);
    try {
      // Runs LlamaModel's static initializer (LlamaLoader.initialize()) without touching the logger.
      Class.forName("de.kherud.llama.LlamaModel", true, LlamaLibrary.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("java-llama.cpp (de.kherud:llama:4.2.0) is not on the class path", e);
    } finally {
      System.setOut(out);
    }
    return SymbolLookup.loaderLookup();
  }

  static MemorySegment symbol(String name) {
    return LOOKUP.find(name).orElseThrow(() -> new IllegalStateException(
        "symbol " + name + " not exported by the loaded llama.cpp library (runtime " + PROFILE + ")"));
  }

  /** A handle for {@code name} only in the v0.5.0 profile (null in b4916). */
  private static MethodHandle v050(String name, MemoryLayout ret, MemoryLayout... args) {
    return V050 ? fn(name, ret, args) : null;
  }

  /** A handle for {@code name} only in the b4916 profile (null in v0.5.0). */
  private static MethodHandle b4916(String name, MemoryLayout ret, MemoryLayout... args) {
    return V050 ? null : fn(name, ret, args);
  }

  private static MethodHandle fn(String name, MemoryLayout ret, MemoryLayout... args) {
    FunctionDescriptor d = ret == null ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(ret, args);
    return LINKER.downcallHandle(symbol(name), d);
  }

  // ---- structs (x86_64 SysV, llama-abi §3); explicit padding so FFM's alignment checks catch mistakes ----

  static final StructLayout MODEL_PARAMS = V050 ? structLayout(
      ADDRESS.withName("devices"), ADDRESS.withName("tensor_buft_overrides"), JAVA_INT.withName("n_gpu_layers"),
      JAVA_INT.withName("split_mode"), JAVA_INT.withName("load_mode"), JAVA_INT.withName("lazy_mode"),
      JAVA_INT.withName("main_gpu"), paddingLayout(4), ADDRESS.withName("tensor_split"),
      ADDRESS.withName("progress_callback"), ADDRESS.withName("progress_callback_user_data"),
      ADDRESS.withName("kv_overrides"), JAVA_BOOLEAN.withName("vocab_only"), JAVA_BOOLEAN.withName("check_tensors"),
      JAVA_BOOLEAN.withName("use_extra_bufts"), JAVA_BOOLEAN.withName("no_host"), JAVA_BOOLEAN.withName("no_alloc"),
      JAVA_BOOLEAN.withName("load_mtp"), paddingLayout(2))
      .withName("llama_model_params") : structLayout(
      ADDRESS.withName("devices"), JAVA_INT.withName("n_gpu_layers"), JAVA_INT.withName("split_mode"),
      JAVA_INT.withName("main_gpu"), paddingLayout(4), ADDRESS.withName("tensor_split"),
      ADDRESS.withName("progress_callback"), ADDRESS.withName("progress_callback_user_data"),
      ADDRESS.withName("kv_overrides"), JAVA_BOOLEAN.withName("vocab_only"), JAVA_BOOLEAN.withName("use_mmap"),
      JAVA_BOOLEAN.withName("use_mlock"), JAVA_BOOLEAN.withName("check_tensors"), paddingLayout(4))
      .withName("llama_model_params");

  static final StructLayout CONTEXT_PARAMS = V050 ? structLayout(
      JAVA_INT.withName("n_ctx"), JAVA_INT.withName("n_batch"), JAVA_INT.withName("n_ubatch"),
      JAVA_INT.withName("n_seq_max"), JAVA_INT.withName("n_rs_seq"), JAVA_INT.withName("n_outputs_max"),
      JAVA_INT.withName("n_outputs_max_per_seq"), JAVA_INT.withName("n_threads"), JAVA_INT.withName("n_threads_batch"),
      JAVA_INT.withName("ctx_type"), JAVA_INT.withName("rope_scaling_type"), JAVA_INT.withName("pooling_type"),
      JAVA_INT.withName("attention_type"), JAVA_INT.withName("flash_attn_type"),
      JAVA_FLOAT.withName("rope_freq_base"), JAVA_FLOAT.withName("rope_freq_scale"),
      JAVA_FLOAT.withName("yarn_ext_factor"), JAVA_FLOAT.withName("yarn_attn_factor"),
      JAVA_FLOAT.withName("yarn_beta_fast"), JAVA_FLOAT.withName("yarn_beta_slow"),
      JAVA_INT.withName("yarn_orig_ctx"), JAVA_FLOAT.withName("defrag_thold"),
      ADDRESS.withName("cb_eval"), ADDRESS.withName("cb_eval_user_data"),
      JAVA_INT.withName("type_k"), JAVA_INT.withName("type_v"),
      ADDRESS.withName("abort_callback"), ADDRESS.withName("abort_callback_data"),
      JAVA_BOOLEAN.withName("embeddings"), JAVA_BOOLEAN.withName("offload_kqv"), JAVA_BOOLEAN.withName("no_perf"),
      JAVA_BOOLEAN.withName("op_offload"), JAVA_BOOLEAN.withName("swa_full"), JAVA_BOOLEAN.withName("kv_unified"),
      paddingLayout(2), ADDRESS.withName("samplers"), JAVA_LONG.withName("n_samplers"), ADDRESS.withName("ctx_other"))
      .withName("llama_context_params") : structLayout(
      JAVA_INT.withName("n_ctx"), JAVA_INT.withName("n_batch"), JAVA_INT.withName("n_ubatch"),
      JAVA_INT.withName("n_seq_max"), JAVA_INT.withName("n_threads"), JAVA_INT.withName("n_threads_batch"),
      JAVA_INT.withName("rope_scaling_type"), JAVA_INT.withName("pooling_type"), JAVA_INT.withName("attention_type"),
      JAVA_FLOAT.withName("rope_freq_base"), JAVA_FLOAT.withName("rope_freq_scale"),
      JAVA_FLOAT.withName("yarn_ext_factor"), JAVA_FLOAT.withName("yarn_attn_factor"),
      JAVA_FLOAT.withName("yarn_beta_fast"), JAVA_FLOAT.withName("yarn_beta_slow"),
      JAVA_INT.withName("yarn_orig_ctx"), JAVA_FLOAT.withName("defrag_thold"), paddingLayout(4),
      ADDRESS.withName("cb_eval"), ADDRESS.withName("cb_eval_user_data"),
      JAVA_INT.withName("type_k"), JAVA_INT.withName("type_v"),
      JAVA_BOOLEAN.withName("logits_all"), JAVA_BOOLEAN.withName("embeddings"), JAVA_BOOLEAN.withName("offload_kqv"),
      JAVA_BOOLEAN.withName("flash_attn"), JAVA_BOOLEAN.withName("no_perf"), paddingLayout(3),
      ADDRESS.withName("abort_callback"), ADDRESS.withName("abort_callback_data"))
      .withName("llama_context_params");

  static final StructLayout BATCH = structLayout(
      JAVA_INT.withName("n_tokens"), paddingLayout(4), ADDRESS.withName("token"), ADDRESS.withName("embd"),
      ADDRESS.withName("pos"), ADDRESS.withName("n_seq_id"), ADDRESS.withName("seq_id"), ADDRESS.withName("logits"))
      .withName("llama_batch");

  static final StructLayout TOKEN_DATA = structLayout(
      JAVA_INT.withName("id"), JAVA_FLOAT.withName("logit"), JAVA_FLOAT.withName("p")).withName("llama_token_data");

  static final StructLayout TOKEN_DATA_ARRAY = structLayout(
      ADDRESS.withName("data"), JAVA_LONG.withName("size"), JAVA_LONG.withName("selected"),
      JAVA_BOOLEAN.withName("sorted"), paddingLayout(7)).withName("llama_token_data_array");

  /** v0.5.0 adds six backend-sampling members after {@code free}; NULL (zero) for a CPU-only sampler. */
  static final StructLayout SAMPLER_IFACE = V050 ? structLayout(
      ADDRESS.withName("name"), ADDRESS.withName("accept"), ADDRESS.withName("apply"), ADDRESS.withName("reset"),
      ADDRESS.withName("clone"), ADDRESS.withName("free"), ADDRESS.withName("backend_init"),
      ADDRESS.withName("backend_accept"), ADDRESS.withName("backend_apply"), ADDRESS.withName("backend_set_input"),
      ADDRESS.withName("backend_reset"), ADDRESS.withName("copy_state")).withName("llama_sampler_i")
      : structLayout(
      ADDRESS.withName("name"), ADDRESS.withName("accept"), ADDRESS.withName("apply"), ADDRESS.withName("reset"),
      ADDRESS.withName("clone"), ADDRESS.withName("free")).withName("llama_sampler_i");

  static final StructLayout SAMPLER = structLayout(ADDRESS.withName("iface"), ADDRESS.withName("ctx"))
      .withName("llama_sampler");

  static final StructLayout CHAIN_PARAMS = structLayout(JAVA_BOOLEAN.withName("no_perf"))
      .withName("llama_sampler_chain_params");

  static final StructLayout LOGIT_BIAS = structLayout(JAVA_INT.withName("token"), JAVA_FLOAT.withName("bias"))
      .withName("llama_logit_bias");

  /** b4916 has a {@code use_mmap} flag; v0.5.0 a {@code load_mode} enum (0 none, 1 mmap). */
  static void setUseMmap(MemorySegment modelParams, boolean mmap) {
    if (V050) {
      modelParams.set(JAVA_INT, offset(MODEL_PARAMS, "load_mode"), mmap ? 1 : 0);
    } else {
      modelParams.set(JAVA_BOOLEAN, offset(MODEL_PARAMS, "use_mmap"), mmap);
    }
  }

  /**
   * Context settings that differ between the profiles' defaults and that memdec pins so both compute the same
   * graph: v0.5.0 defaults to {@code flash_attn_type} AUTO (on for the CPU), b4916 has flash attention off; with
   * it on, logits of one batch differ from the same tokens split into smaller batches by up to 5e-4 (measured,
   * LlamaDecodeE2eTest), so it is turned off here.
   */
  static void pinContextDefaults(MemorySegment contextParams) {
    if (V050) {
      contextParams.set(JAVA_INT, offset(CONTEXT_PARAMS, "flash_attn_type"), 0);
    }
  }

  static long offset(StructLayout layout, String field) {
    return layout.byteOffset(PathElement.groupElement(field));
  }

  // ---- version, backend, logging ----
  static final MethodHandle PRINT_SYSTEM_INFO = fn("llama_print_system_info", ADDRESS);
  static final MethodHandle LOG_SET = fn("llama_log_set", null, ADDRESS, ADDRESS);
  static final MethodHandle MODEL_DEFAULT_PARAMS = fn("llama_model_default_params", MODEL_PARAMS);
  static final MethodHandle CONTEXT_DEFAULT_PARAMS = fn("llama_context_default_params", CONTEXT_PARAMS);
  static final MethodHandle CHAIN_DEFAULT_PARAMS = fn("llama_sampler_chain_default_params", CHAIN_PARAMS);

  // ---- model ----
  static final MethodHandle SUPPORTS_GPU_OFFLOAD = fn("llama_supports_gpu_offload", JAVA_BOOLEAN);
  // ggml's device registry (v0.5.0: which GPU devices the loaded backends found)
  static final MethodHandle DEV_COUNT = v050("ggml_backend_dev_count", JAVA_LONG);
  static final MethodHandle DEV_GET = v050("ggml_backend_dev_get", ADDRESS, JAVA_LONG);
  static final MethodHandle DEV_TYPE = v050("ggml_backend_dev_type", JAVA_INT, ADDRESS);
  static final MethodHandle DEV_NAME = v050("ggml_backend_dev_name", ADDRESS, ADDRESS);
  static final MethodHandle DEV_DESCRIPTION = v050("ggml_backend_dev_description", ADDRESS, ADDRESS);
  static final MethodHandle MODEL_LOAD = fn("llama_model_load_from_file", ADDRESS, ADDRESS, MODEL_PARAMS);
  static final MethodHandle MODEL_FREE = fn("llama_model_free", null, ADDRESS);
  static final MethodHandle MODEL_N_CTX_TRAIN = fn("llama_model_n_ctx_train", JAVA_INT, ADDRESS);
  static final MethodHandle MODEL_N_EMBD = fn("llama_model_n_embd", JAVA_INT, ADDRESS);
  static final MethodHandle MODEL_N_LAYER = fn("llama_model_n_layer", JAVA_INT, ADDRESS);
  static final MethodHandle MODEL_N_HEAD = fn("llama_model_n_head", JAVA_INT, ADDRESS);
  static final MethodHandle MODEL_DESC = fn("llama_model_desc", JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG);
  static final MethodHandle MODEL_SIZE = fn("llama_model_size", JAVA_LONG, ADDRESS);
  static final MethodHandle MODEL_N_PARAMS = fn("llama_model_n_params", JAVA_LONG, ADDRESS);
  static final MethodHandle MODEL_META_VAL_STR =
      fn("llama_model_meta_val_str", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG);
  static final MethodHandle MODEL_CHAT_TEMPLATE = fn("llama_model_chat_template", ADDRESS, ADDRESS, ADDRESS);
  static final MethodHandle MODEL_GET_VOCAB = fn("llama_model_get_vocab", ADDRESS, ADDRESS);

  // ---- vocabulary ----
  static final MethodHandle VOCAB_N_TOKENS = fn("llama_vocab_n_tokens", JAVA_INT, ADDRESS);
  static final MethodHandle VOCAB_TYPE = fn("llama_vocab_type", JAVA_INT, ADDRESS);
  static final MethodHandle VOCAB_GET_TEXT = fn("llama_vocab_get_text", ADDRESS, ADDRESS, JAVA_INT);
  static final MethodHandle VOCAB_GET_ATTR = fn("llama_vocab_get_attr", JAVA_INT, ADDRESS, JAVA_INT);
  static final MethodHandle VOCAB_IS_EOG = fn("llama_vocab_is_eog", JAVA_BOOLEAN, ADDRESS, JAVA_INT);
  static final MethodHandle VOCAB_BOS = fn("llama_vocab_bos", JAVA_INT, ADDRESS);
  static final MethodHandle VOCAB_EOS = fn("llama_vocab_eos", JAVA_INT, ADDRESS);
  static final MethodHandle VOCAB_EOT = fn("llama_vocab_eot", JAVA_INT, ADDRESS);
  static final MethodHandle VOCAB_ADD_BOS = fn("llama_vocab_get_add_bos", JAVA_BOOLEAN, ADDRESS);
  static final MethodHandle TOKENIZE = fn("llama_tokenize", JAVA_INT,
      ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_BOOLEAN, JAVA_BOOLEAN);
  static final MethodHandle TOKEN_TO_PIECE = fn("llama_token_to_piece", JAVA_INT,
      ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_BOOLEAN);
  static final MethodHandle DETOKENIZE = fn("llama_detokenize", JAVA_INT,
      ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_BOOLEAN, JAVA_BOOLEAN);

  // ---- context, decode, KV cache ----
  static final MethodHandle INIT_FROM_MODEL = fn("llama_init_from_model", ADDRESS, ADDRESS, CONTEXT_PARAMS);
  static final MethodHandle FREE = fn("llama_free", null, ADDRESS);
  static final MethodHandle N_CTX = fn("llama_n_ctx", JAVA_INT, ADDRESS);
  static final MethodHandle N_BATCH = fn("llama_n_batch", JAVA_INT, ADDRESS);
  static final MethodHandle N_UBATCH = fn("llama_n_ubatch", JAVA_INT, ADDRESS);
  static final MethodHandle BATCH_INIT = fn("llama_batch_init", BATCH, JAVA_INT, JAVA_INT, JAVA_INT);
  static final MethodHandle BATCH_FREE = fn("llama_batch_free", null, BATCH);
  static final MethodHandle DECODE = fn("llama_decode", JAVA_INT, ADDRESS, BATCH);
  static final MethodHandle GET_LOGITS_ITH = fn("llama_get_logits_ith", ADDRESS, ADDRESS, JAVA_INT);
  static final MethodHandle GET_EMBEDDINGS_ITH = fn("llama_get_embeddings_ith", ADDRESS, ADDRESS, JAVA_INT);
  // KV cache: b4916's llama_kv_self_* take the context; v0.5.0's llama_memory_* take llama_get_memory(ctx)
  private static final MethodHandle KV_SELF_SEQ_RM =
      b4916("llama_kv_self_seq_rm", JAVA_BOOLEAN, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT);
  private static final MethodHandle KV_SELF_CLEAR = b4916("llama_kv_self_clear", null, ADDRESS);
  private static final MethodHandle KV_SELF_USED_CELLS = b4916("llama_kv_self_used_cells", JAVA_INT, ADDRESS);
  private static final MethodHandle GET_MEMORY = v050("llama_get_memory", ADDRESS, ADDRESS);
  private static final MethodHandle MEMORY_SEQ_RM =
      v050("llama_memory_seq_rm", JAVA_BOOLEAN, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT);
  private static final MethodHandle MEMORY_CLEAR = v050("llama_memory_clear", null, ADDRESS, JAVA_BOOLEAN);
  private static final MethodHandle MEMORY_SEQ_POS_MIN = v050("llama_memory_seq_pos_min", JAVA_INT, ADDRESS, JAVA_INT);
  private static final MethodHandle MEMORY_SEQ_POS_MAX = v050("llama_memory_seq_pos_max", JAVA_INT, ADDRESS, JAVA_INT);

  /** Removes positions [p0, p1) of sequence {@code seq} (p1 &lt; 0: to the end); false if impossible. */
  static boolean kvSeqRm(MemorySegment ctx, int seq, int p0, int p1) throws Throwable {
    return V050 ? (boolean) MEMORY_SEQ_RM.invokeExact((MemorySegment) GET_MEMORY.invokeExact(ctx), seq, p0, p1)
        : (boolean) KV_SELF_SEQ_RM.invokeExact(ctx, seq, p0, p1);
  }

  /** Empties the KV cache (v0.5.0: data buffers too). */
  static void kvClear(MemorySegment ctx) throws Throwable {
    if (V050) {
      MEMORY_CLEAR.invokeExact((MemorySegment) GET_MEMORY.invokeExact(ctx), true);
    } else {
      KV_SELF_CLEAR.invokeExact(ctx);
    }
  }

  /**
   * Cells in use by sequence 0: b4916's {@code llama_kv_self_used_cells}; v0.5.0 has no such call, so the span
   * of positions that sequence 0 holds (memdec keeps one contiguous sequence per context).
   */
  static int kvUsedCells(MemorySegment ctx) throws Throwable {
    if (!V050) {
      return (int) KV_SELF_USED_CELLS.invokeExact(ctx);
    }
    MemorySegment mem = (MemorySegment) GET_MEMORY.invokeExact(ctx);
    int max = (int) MEMORY_SEQ_POS_MAX.invokeExact(mem, 0);
    return max < 0 ? 0 : max - (int) MEMORY_SEQ_POS_MIN.invokeExact(mem, 0) + 1;
  }

  // ---- ggml tensor access for the eval callback (no ggml_tensor layout needed) ----
  static final MethodHandle GGML_GET_NAME = fn("ggml_get_name", ADDRESS, ADDRESS);
  static final MethodHandle GGML_NBYTES = fn("ggml_nbytes", JAVA_LONG, ADDRESS);
  static final MethodHandle GGML_NELEMENTS = fn("ggml_nelements", JAVA_LONG, ADDRESS);
  static final MethodHandle GGML_NROWS = fn("ggml_nrows", JAVA_LONG, ADDRESS);
  static final MethodHandle GGML_BACKEND_TENSOR_GET =
      fn("ggml_backend_tensor_get", null, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG);
  // ---- ggml graph construction, only for GgmlTensor's start-up layout check ----
  static final MethodHandle GGML_OP_NAME = fn("ggml_op_name", ADDRESS, JAVA_INT);
  static final MethodHandle GGML_INIT = fn("ggml_init", ADDRESS, GgmlTensor.INIT_PARAMS);
  static final MethodHandle GGML_FREE = fn("ggml_free", null, ADDRESS);
  static final MethodHandle GGML_NEW_TENSOR_1D = fn("ggml_new_tensor_1d", ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG);
  static final MethodHandle GGML_NEW_TENSOR_2D =
      fn("ggml_new_tensor_2d", ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG);
  static final MethodHandle GGML_GET_ROWS = fn("ggml_get_rows", ADDRESS, ADDRESS, ADDRESS, ADDRESS);
  // ---- ggml graphs on the CPU backend (GgmlCompute: the MLP memory's forward) ----
  static final MethodHandle GGML_TENSOR_OVERHEAD = fn("ggml_tensor_overhead", JAVA_LONG);
  static final MethodHandle GGML_GRAPH_OVERHEAD = fn("ggml_graph_overhead", JAVA_LONG);
  static final MethodHandle GGML_GET_DATA = fn("ggml_get_data", ADDRESS, ADDRESS);
  static final MethodHandle GGML_MUL_MAT = fn("ggml_mul_mat", ADDRESS, ADDRESS, ADDRESS, ADDRESS);
  static final MethodHandle GGML_ADD = fn("ggml_add", ADDRESS, ADDRESS, ADDRESS, ADDRESS);
  static final MethodHandle GGML_MUL = fn("ggml_mul", ADDRESS, ADDRESS, ADDRESS, ADDRESS);
  static final MethodHandle GGML_SCALE = fn("ggml_scale", ADDRESS, ADDRESS, ADDRESS, JAVA_FLOAT);
  static final MethodHandle GGML_NORM = fn("ggml_norm", ADDRESS, ADDRESS, ADDRESS, JAVA_FLOAT);
  static final MethodHandle GGML_RMS_NORM = fn("ggml_rms_norm", ADDRESS, ADDRESS, ADDRESS, JAVA_FLOAT);
  static final MethodHandle GGML_SIGMOID = fn("ggml_sigmoid", ADDRESS, ADDRESS, ADDRESS);
  static final MethodHandle GGML_SILU = fn("ggml_silu", ADDRESS, ADDRESS, ADDRESS);
  static final MethodHandle GGML_NEW_GRAPH = fn("ggml_new_graph", ADDRESS, ADDRESS);
  static final MethodHandle GGML_BUILD_FORWARD_EXPAND = fn("ggml_build_forward_expand", null, ADDRESS, ADDRESS);
  /** {@code enum ggml_backend_dev_type}: CPU is 0 in both profiles. */
  static final MethodHandle GGML_BACKEND_DEV_BY_TYPE = fn("ggml_backend_dev_by_type", ADDRESS, JAVA_INT);
  static final MethodHandle GGML_BACKEND_DEV_INIT = fn("ggml_backend_dev_init", ADDRESS, ADDRESS, ADDRESS);
  static final MethodHandle GGML_BACKEND_DEV_BACKEND_REG = fn("ggml_backend_dev_backend_reg", ADDRESS, ADDRESS);
  static final MethodHandle GGML_BACKEND_REG_GET_PROC_ADDRESS =
      fn("ggml_backend_reg_get_proc_address", ADDRESS, ADDRESS, ADDRESS);
  static final MethodHandle GGML_BACKEND_GRAPH_COMPUTE = fn("ggml_backend_graph_compute", JAVA_INT, ADDRESS, ADDRESS);
  static final MethodHandle GGML_BACKEND_FREE = fn("ggml_backend_free", null, ADDRESS);
  static final MethodHandle GGML_THREADPOOL_PARAMS_INIT = fn("ggml_threadpool_params_init", null, ADDRESS, JAVA_INT);
  /** v0.5.0: {@code llama_attach_threadpool(ctx, threadpool, threadpool_batch)} ({@link CpuThreadPools}). */
  static final MethodHandle ATTACH_THREADPOOL = v050("llama_attach_threadpool", null, ADDRESS, ADDRESS, ADDRESS);

  // ---- samplers ----
  static final MethodHandle SAMPLER_INIT = fn("llama_sampler_init", ADDRESS, ADDRESS, ADDRESS);
  static final MethodHandle SAMPLER_ACCEPT = fn("llama_sampler_accept", null, ADDRESS, JAVA_INT);
  static final MethodHandle SAMPLER_APPLY = fn("llama_sampler_apply", null, ADDRESS, ADDRESS);
  static final MethodHandle SAMPLER_RESET = fn("llama_sampler_reset", null, ADDRESS);
  static final MethodHandle SAMPLER_FREE = fn("llama_sampler_free", null, ADDRESS);
  static final MethodHandle SAMPLER_CHAIN_INIT = fn("llama_sampler_chain_init", ADDRESS, CHAIN_PARAMS);
  static final MethodHandle SAMPLER_CHAIN_ADD = fn("llama_sampler_chain_add", null, ADDRESS, ADDRESS);
  static final MethodHandle SAMPLER_CHAIN_N = fn("llama_sampler_chain_n", JAVA_INT, ADDRESS);
  static final MethodHandle SAMPLER_INIT_GREEDY = fn("llama_sampler_init_greedy", ADDRESS);
  static final MethodHandle SAMPLER_INIT_DIST = fn("llama_sampler_init_dist", ADDRESS, JAVA_INT);
  static final MethodHandle SAMPLER_INIT_TOP_K = fn("llama_sampler_init_top_k", ADDRESS, JAVA_INT);
  static final MethodHandle SAMPLER_INIT_TOP_P = fn("llama_sampler_init_top_p", ADDRESS, JAVA_FLOAT, JAVA_LONG);
  static final MethodHandle SAMPLER_INIT_MIN_P = fn("llama_sampler_init_min_p", ADDRESS, JAVA_FLOAT, JAVA_LONG);
  static final MethodHandle SAMPLER_INIT_TEMP = fn("llama_sampler_init_temp", ADDRESS, JAVA_FLOAT);
  private static final MethodHandle SAMPLER_INIT_PENALTIES_B4916 =
      b4916("llama_sampler_init_penalties", ADDRESS, JAVA_INT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT);
  /** v0.5.0 puts {@code int32_t n_vocab} first (used only by backend sampling, to size its token ring). */
  private static final MethodHandle SAMPLER_INIT_PENALTIES_V050 =
      v050("llama_sampler_init_penalties", ADDRESS, JAVA_INT, JAVA_INT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT);

  /**
   * {@code llama_sampler_init_penalties} of the profile. v0.5.0's extra {@code n_vocab} only bounds the token ring
   * of backend (on-device) sampling, {@code min(last_n, n_vocab)}, which memdec does not use; {@code lastN} is
   * passed, so that bound is {@code lastN} itself.
   */
  static MemorySegment samplerInitPenalties(int lastN, float repeat, float freq, float present) throws Throwable {
    return V050 ? (MemorySegment) SAMPLER_INIT_PENALTIES_V050.invokeExact(lastN, lastN, repeat, freq, present)
        : (MemorySegment) SAMPLER_INIT_PENALTIES_B4916.invokeExact(lastN, repeat, freq, present);
  }
  static final MethodHandle SAMPLER_INIT_GRAMMAR =
      fn("llama_sampler_init_grammar", ADDRESS, ADDRESS, ADDRESS, ADDRESS);
  static final MethodHandle SAMPLER_INIT_LOGIT_BIAS =
      fn("llama_sampler_init_logit_bias", ADDRESS, JAVA_INT, JAVA_INT, ADDRESS);
}

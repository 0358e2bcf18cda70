package dev.memdec.natives.llama;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.PrintStream;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The llama.cpp b4916 C ABI as shipped in java-llama.cpp 4.2.0's {@code libjllama.so}: struct layouts and
 * downcall handles (facts in shared/docs/llama-abi.md §3, §4).
 *
 * <p>The library is loaded by java-llama.cpp's own loader (initializing {@code de.kherud.llama.LlamaModel}
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
  static final SymbolLookup LOOKUP = loadThroughJavaLlamaCpp();

  private static SymbolLookup loadThroughJavaLlamaCpp() {
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
        "symbol " + name + " not exported by the loaded libjllama.so (expected llama.cpp build "
            + LlamaRuntime.EXPECTED_BUILD + ")"));
  }

  private static MethodHandle fn(String name, MemoryLayout ret, MemoryLayout... args) {
    FunctionDescriptor d = ret == null ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(ret, args);
    return LINKER.downcallHandle(symbol(name), d);
  }

  // ---- structs (x86_64 SysV, llama-abi §3); explicit padding so FFM's alignment checks catch mistakes ----

  static final StructLayout MODEL_PARAMS = structLayout(
      ADDRESS.withName("devices"), JAVA_INT.withName("n_gpu_layers"), JAVA_INT.withName("split_mode"),
      JAVA_INT.withName("main_gpu"), paddingLayout(4), ADDRESS.withName("tensor_split"),
      ADDRESS.withName("progress_callback"), ADDRESS.withName("progress_callback_user_data"),
      ADDRESS.withName("kv_overrides"), JAVA_BOOLEAN.withName("vocab_only"), JAVA_BOOLEAN.withName("use_mmap"),
      JAVA_BOOLEAN.withName("use_mlock"), JAVA_BOOLEAN.withName("check_tensors"), paddingLayout(4))
      .withName("llama_model_params");

  static final StructLayout CONTEXT_PARAMS = structLayout(
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

  static final StructLayout SAMPLER_IFACE = structLayout(
      ADDRESS.withName("name"), ADDRESS.withName("accept"), ADDRESS.withName("apply"), ADDRESS.withName("reset"),
      ADDRESS.withName("clone"), ADDRESS.withName("free")).withName("llama_sampler_i");

  static final StructLayout SAMPLER = structLayout(ADDRESS.withName("iface"), ADDRESS.withName("ctx"))
      .withName("llama_sampler");

  static final StructLayout CHAIN_PARAMS = structLayout(JAVA_BOOLEAN.withName("no_perf"))
      .withName("llama_sampler_chain_params");

  static final StructLayout LOGIT_BIAS = structLayout(JAVA_INT.withName("token"), JAVA_FLOAT.withName("bias"))
      .withName("llama_logit_bias");

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
  static final MethodHandle KV_SEQ_RM = fn("llama_kv_self_seq_rm", JAVA_BOOLEAN, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT);
  static final MethodHandle KV_CLEAR = fn("llama_kv_self_clear", null, ADDRESS);
  static final MethodHandle KV_USED_CELLS = fn("llama_kv_self_used_cells", JAVA_INT, ADDRESS);

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
  static final MethodHandle SAMPLER_INIT_PENALTIES =
      fn("llama_sampler_init_penalties", ADDRESS, JAVA_INT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT);
  static final MethodHandle SAMPLER_INIT_GRAMMAR =
      fn("llama_sampler_init_grammar", ADDRESS, ADDRESS, ADDRESS, ADDRESS);
  static final MethodHandle SAMPLER_INIT_LOGIT_BIAS =
      fn("llama_sampler_init_logit_bias", ADDRESS, JAVA_INT, JAVA_INT, ADDRESS);
}

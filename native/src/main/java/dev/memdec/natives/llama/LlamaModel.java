package dev.memdec.natives.llama;

import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * A llama.cpp model ({@code llama_model*}) loaded from a GGUF file; owns the native model until {@link #close()}.
 *
 * <p>llama.cpp aborts the whole process on some malformed files, so callers should validate untrusted GGUF
 * files in Java first (the converter's {@code GgufFile}); {@link #load} checks only that the file exists and
 * starts with the GGUF magic. Contexts created from a model must be closed before the model.
 * Not thread-safe for {@code close()}; the read-only queries may be called from any thread.
 */
@SuppressWarnings("restricted") // calling native code is this class's purpose (native access is enabled)
public final class LlamaModel implements AutoCloseable {
  /** Architectures with a learned absolute position table of n_ctx_train rows (llama.cpp's position_embd). */
  private static final Set<String> LEARNED_POSITIONS = Set.of("gpt2", "starcoder", "bert");

  private final Path path;
  private final MemorySegment handle;
  private final Vocab vocab;
  private final boolean vocabOnly;
  private final int positionLimit;
  private int openContexts;
  private boolean closed;

  private LlamaModel(Path path, MemorySegment handle, boolean vocabOnly) {
    this.path = path;
    this.handle = handle;
    this.vocabOnly = vocabOnly;
    this.vocab = new Vocab(this, call(LlamaLibrary.MODEL_GET_VOCAB, handle));
    this.positionLimit = meta("general.architecture").filter(LEARNED_POSITIONS::contains).isPresent()
        ? nCtxTrain() : Integer.MAX_VALUE;
  }

  /** Whether the loaded llama.cpp has a backend that can take offloaded layers ({@code llama_supports_gpu_offload}). */
  public static boolean supportsGpuOffload() {
    LlamaRuntime.get();
    try {
      return (boolean) LlamaLibrary.SUPPORTS_GPU_OFFLOAD.invokeExact();
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /**
   * Loads a model.
   *
   * @throws IOException if the file is missing, unreadable or not GGUF, or llama.cpp refuses it (its log,
   *     at DEBUG/ERROR on {@code dev.memdec.natives.llama.llama.cpp}, says why)
   */
  public static LlamaModel load(Path path, ModelOptions options) throws IOException {
    LlamaRuntime.get();
    if (!Files.isRegularFile(path)) {
      throw new IOException(path + ": no such model file");
    }
    byte[] magic;
    try (InputStream in = Files.newInputStream(path)) {
      magic = in.readNBytes(4);
    }
    if (!Arrays.equals(magic, "GGUF".getBytes(StandardCharsets.US_ASCII))) {
      throw new IOException(path + ": offset 0: expected the GGUF magic, found " + Arrays.toString(magic));
    }
    boolean gpu = supportsGpuOffload();
    if (options.gpuLayers() > 0 && !gpu) {
      throw new IllegalArgumentException("--gpu-layers " + options.gpuLayers() + ": llama.cpp "
          + LlamaLibrary.PROFILE + " here is a CPU build (choose one with --gpu-backend vulkan|cuda on v0.5.0), "
          + "or use 0");
    }
    // AUTO: all layers (v0.5.0's n_gpu_layers -1) where a GPU took the backend, else none
    int layers = options.gpuLayers() == ModelOptions.AUTO ? (gpu ? -1 : 0) : options.gpuLayers();
    MemorySegment model;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment params = (MemorySegment) LlamaLibrary.MODEL_DEFAULT_PARAMS.invokeExact(
          (SegmentAllocator) arena);
      params.set(JAVA_INT, LlamaLibrary.offset(LlamaLibrary.MODEL_PARAMS, "n_gpu_layers"), layers);
      LlamaLibrary.setUseMmap(params, options.useMmap());
      params.set(JAVA_BOOLEAN, LlamaLibrary.offset(LlamaLibrary.MODEL_PARAMS, "vocab_only"), options.vocabOnly());
      MemorySegment cPath = arena.allocateFrom(path.toAbsolutePath().toString());
      model = (MemorySegment) LlamaLibrary.MODEL_LOAD.invokeExact(cPath, params);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
    if (model.address() == 0) {
      throw new IOException(path + ": llama.cpp could not load the model (see the llama.cpp log)");
    }
    return new LlamaModel(path, model, options.vocabOnly());
  }

  /** The file this model was loaded from. */
  public Path path() {
    return path;
  }

  /** The model's vocabulary; valid while the model is open. */
  public Vocab vocab() {
    return vocab;
  }

  public int nEmbd() {
    return callInt(LlamaLibrary.MODEL_N_EMBD);
  }

  public int nLayer() {
    return callInt(LlamaLibrary.MODEL_N_LAYER);
  }

  public int nHead() {
    return callInt(LlamaLibrary.MODEL_N_HEAD);
  }

  /** The training context length ({@code <arch>.context_length}). */
  public int nCtxTrain() {
    return callInt(LlamaLibrary.MODEL_N_CTX_TRAIN);
  }

  /**
   * How many positions the model can embed: n_ctx_train for architectures with a learned position table
   * (gpt2, starcoder, bert), where a later position makes ggml's get_rows assert and abort the process;
   * otherwise unlimited ({@code Integer.MAX_VALUE}). {@link LlamaContext} enforces it.
   */
  public int positionLimit() {
    return positionLimit;
  }

  /** Total bytes of all tensors. */
  public long sizeBytes() {
    try {
      return (long) LlamaLibrary.MODEL_SIZE.invokeExact(handle());
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /** Total number of parameters. */
  public long nParams() {
    try {
      return (long) LlamaLibrary.MODEL_N_PARAMS.invokeExact(handle());
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /** llama.cpp's one-line description, e.g. {@code "gpt2 ?B all F32"}. */
  public String description() {
    MemorySegment h = handle();
    return readString(256, (buf, size) -> (int) LlamaLibrary.MODEL_DESC.invokeExact(h, buf, size));
  }

  /** A metadata value as a string (arrays are not returned by llama.cpp), or empty if the key is absent. */
  public Optional<String> meta(String key) {
    MemorySegment h = handle();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment cKey = arena.allocateFrom(key);
      return Optional.ofNullable(
          readString(256, (buf, size) -> (int) LlamaLibrary.MODEL_META_VAL_STR.invokeExact(h, cKey, buf, size)));
    }
  }

  /** The default chat template ({@code tokenizer.chat_template}), or empty if the model has none. */
  public Optional<String> chatTemplate() {
    try {
      MemorySegment p = (MemorySegment) LlamaLibrary.MODEL_CHAT_TEMPLATE.invokeExact(handle(), MemorySegment.NULL);
      return Optional.ofNullable(Natives.string(p));
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  @FunctionalInterface
  private interface SnprintfCall {
    int call(MemorySegment buf, long size) throws Throwable;
  }

  /** Calls an snprintf-style function (returns the full length, or -1 if absent), growing the buffer once. */
  private static String readString(int initial, SnprintfCall fn) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buf = arena.allocate(initial);
      int n = fn.call(buf, initial);
      if (n < 0) {
        return null;
      }
      if (n >= initial) {
        buf = arena.allocate(n + 1L);
        n = fn.call(buf, n + 1L);
      }
      return new String(buf.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /** Frees the native model. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    if (openContexts > 0) {
      throw new IllegalStateException(path + ": close its " + openContexts + " open context(s) before the model");
    }
    closed = true;
    try {
      LlamaLibrary.MODEL_FREE.invokeExact(handle);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  synchronized MemorySegment handle() {
    if (closed) {
      throw new IllegalStateException(path + ": model is closed");
    }
    return handle;
  }

  synchronized void contextOpened() {
    handle();
    if (vocabOnly) {
      throw new IllegalStateException(path + ": loaded vocab-only (no tensors), so it cannot have a context");
    }
    openContexts++;
  }

  synchronized void contextClosed() {
    openContexts--;
  }

  private int callInt(MethodHandle h) {
    try {
      return (int) h.invokeExact(handle());
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  private static MemorySegment call(MethodHandle h, MemorySegment arg) {
    try {
      return (MemorySegment) h.invokeExact(arg);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  @Override
  public String toString() {
    return "LlamaModel[" + path + (closed ? ", closed" : "") + "]";
  }
}

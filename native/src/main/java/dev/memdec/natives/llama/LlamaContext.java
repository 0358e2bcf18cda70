package dev.memdec.natives.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A llama.cpp context ({@code llama_context*}): one KV cache (sequence 0) over a {@link LlamaModel}.
 *
 * <p>Positions are tracked in Java ({@link #nPast()}): {@code llama_kv_self_seq_pos_max} cannot tell an empty
 * cache from one holding position 0 in b4916. Every decode and every logits/embeddings copy runs under
 * {@link InferenceLock}. A context is meant for one thread at a time; different contexts may be used from
 * different threads (the lock serializes their decodes).
 *
 * <p>Output rows are addressed by the index of the token in the array last passed to {@link #decode}; only
 * tokens whose output flag was set have rows. Asking for any other row throws instead of reaching llama.cpp
 * (whose sampler would segfault on a missing row).
 */
@SuppressWarnings("restricted") // calling native code is this class's purpose (native access is enabled)
public final class LlamaContext implements AutoCloseable {
  /** The final LayerNorm's output (the LM head's input), one row per output token. */
  public static final String RESULT_NORM = "result_norm";

  /**
   * Capture name for the last block's FFN input before its norm ({@code ffn_inp}: attention output plus
   * residual) for <em>every</em> decoded token, output flag or not. In b4916 the last block of gpt2, llama and
   * qwen2 keeps only output rows with two {@code ggml_get_rows(x, inp_out_ids)} nodes (the only get_rows whose
   * source is an activation rather than a weight) (the attention output and
   * the residual) right before {@code ffn_inp = x + residual}; the capture reads both sources, which still hold all
   * rows when the callback sees the get_rows node computed (ggml-backend computes the graph only up to that node,
   * and nothing after it has reused the sources' memory yet), and adds them as {@code ggml_add} does. So a decode
   * with output for the last token only still yields every position's pre-norm FFN input, and llama.cpp computes
   * the output head once instead of on every row.
   */
  public static final String FFN_INP_ALL_ROWS = "ffn_inp(all rows)";

  private static final long PARAM_N_CTX = LlamaLibrary.offset(LlamaLibrary.CONTEXT_PARAMS, "n_ctx");

  private final LlamaModel model;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment handle;
  private final MemorySegment batch;
  private final MemorySegment batchTokens, batchPos, batchNSeqId, batchSeqId, batchLogits;
  private final int nCtx, nBatch, nVocab, nEmbd, threads;
  private final boolean embeddings;
  private final CaptureSink capture;
  private int nPast;
  private boolean[] lastOutput;
  private int lastChunkStart;
  private final Map<Integer, float[]> earlierRows = new HashMap<>();
  private boolean closed;

  /**
   * The graph node holding layer {@code layer}'s FFN input after its pre-FFN LayerNorm (gpt2 graph in b4916:
   * {@code ffn_norm-<layer>}, tagged after the norm's weight and bias are applied). For the last layer this is
   * memdec's kNN key; it has rows for output tokens only.
   */
  public static String ffnInput(int layer) {
    return "ffn_norm-" + layer;
  }

  private LlamaContext(LlamaModel model, ContextOptions o) {
    this.model = model;
    this.embeddings = o.embeddings();
    this.nVocab = model.vocab().size();
    this.nEmbd = model.nEmbd();
    this.threads = o.threads();
    this.capture = o.capture().isEmpty() ? null : new CaptureSink(o.capture());
    MemorySegment ctx;
    try {
      MemorySegment p = (MemorySegment) LlamaLibrary.CONTEXT_DEFAULT_PARAMS.invokeExact((SegmentAllocator) arena);
      var l = LlamaLibrary.CONTEXT_PARAMS;
      LlamaLibrary.pinContextDefaults(p);
      p.set(JAVA_INT, PARAM_N_CTX, o.nCtx());
      p.set(JAVA_INT, LlamaLibrary.offset(l, "n_batch"), o.nBatch());
      p.set(JAVA_INT, LlamaLibrary.offset(l, "n_ubatch"), o.nUbatch());
      p.set(JAVA_INT, LlamaLibrary.offset(l, "n_seq_max"), 1);
      p.set(JAVA_INT, LlamaLibrary.offset(l, "n_threads"), o.threads());
      p.set(JAVA_INT, LlamaLibrary.offset(l, "n_threads_batch"), o.threadsBatch());
      p.set(JAVA_INT, LlamaLibrary.offset(l, "type_k"), o.kvType().ggmlType());
      p.set(JAVA_INT, LlamaLibrary.offset(l, "type_v"), o.kvType().ggmlType());
      p.set(JAVA_BOOLEAN, LlamaLibrary.offset(l, "embeddings"), o.embeddings());
      if (capture != null) {
        MemorySegment stub = LlamaLibrary.LINKER.upcallStub(
            MethodHandles.lookup().findVirtual(CaptureSink.class, "onTensor", MethodType.methodType(
                boolean.class, MemorySegment.class, boolean.class, MemorySegment.class)).bindTo(capture),
            FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_BOOLEAN, ADDRESS), arena);
        p.set(ADDRESS, LlamaLibrary.offset(l, "cb_eval"), stub);
      }
      ctx = (MemorySegment) LlamaLibrary.INIT_FROM_MODEL.invokeExact(model.handle(), p);
    } catch (Throwable t) {
      arena.close();
      throw Natives.rethrow(t);
    }
    if (ctx.address() == 0) {
      arena.close();
      throw new IllegalStateException(model.path() + ": llama.cpp could not create a context with " + o
          + " (see the llama.cpp log)");
    }
    this.handle = ctx;
    try {
      // v0.5.0 pads n_ctx up to a multiple of 256 (b4916 does not): memdec uses the window that was asked for
      // (the model's training context for 0), so both profiles fill, trim and refuse at the same position.
      int asked = o.nCtx() > 0 ? o.nCtx() : model.nCtxTrain();
      this.nCtx = Math.min((int) LlamaLibrary.N_CTX.invokeExact(ctx), asked);
      this.nBatch = (int) LlamaLibrary.N_BATCH.invokeExact(ctx);
      MemorySegment pool = CpuThreadPools.shared(o.threads());
      MemorySegment batchPool = CpuThreadPools.shared(o.threadsBatch());
      if (pool.address() != 0 || batchPool.address() != 0) {
        LlamaLibrary.ATTACH_THREADPOOL.invokeExact(ctx, pool, batchPool);
      }
      this.batch = (MemorySegment) LlamaLibrary.BATCH_INIT.invokeExact((SegmentAllocator) arena, nBatch, 0, 1);
    } catch (Throwable t) {
      freeNative(ctx, null);
      arena.close();
      throw Natives.rethrow(t);
    }
    var b = LlamaLibrary.BATCH;
    long ints = (long) nBatch * Integer.BYTES;
    batchTokens = batch.get(ADDRESS, LlamaLibrary.offset(b, "token")).reinterpret(ints);
    batchPos = batch.get(ADDRESS, LlamaLibrary.offset(b, "pos")).reinterpret(ints);
    batchNSeqId = batch.get(ADDRESS, LlamaLibrary.offset(b, "n_seq_id")).reinterpret(ints);
    batchSeqId = batch.get(ADDRESS, LlamaLibrary.offset(b, "seq_id")).reinterpret(nBatch * ADDRESS.byteSize());
    batchLogits = batch.get(ADDRESS, LlamaLibrary.offset(b, "logits")).reinterpret(nBatch);
    for (int i = 0; i < nBatch; i++) {
      batchNSeqId.setAtIndex(JAVA_INT, i, 1);
      batchSeqId.getAtIndex(ADDRESS, i).reinterpret(Integer.BYTES).set(JAVA_INT, 0, 0);
    }
  }

  /**
   * Creates a context; close it before its model.
   *
   * @throws IllegalArgumentException if {@code nCtx} exceeds the model's {@link LlamaModel#positionLimit()}
   */
  public static LlamaContext create(LlamaModel model, ContextOptions options) {
    LlamaRuntime.get();
    model.contextOpened(); // refuses closed and vocab-only models
    try {
      if (options.nCtx() > model.positionLimit()) {
        throw new IllegalArgumentException(model.path() + ": nCtx " + options.nCtx() + " exceeds the "
            + model.positionLimit() + " positions the model's learned position table holds");
      }
      return new LlamaContext(model, options);
    } catch (RuntimeException e) {
      model.contextClosed();
      throw e;
    }
  }

  public LlamaModel model() {
    return model;
  }

  /**
   * Usable context in tokens: the size asked for (the model's training context for 0), at most what llama.cpp
   * allocated (v0.5.0 pads its KV cache to a multiple of 256, which is not used).
   */
  public int nCtx() {
    return nCtx;
  }

  /** Threads a single-token decode runs on ({@code n_threads}). */
  public int threads() {
    return threads;
  }

  /** The most tokens one native decode takes; {@link #decode} splits longer input into such chunks. */
  public int nBatch() {
    return nBatch;
  }

  /** The next free position: tokens decoded since the last clear, minus tokens trimmed off the end. */
  public int nPast() {
    return nPast;
  }

  /** Decodes tokens at positions {@code firstPos...}; output for every token or only the last one. */
  public void decode(int[] tokens, int firstPos, boolean allLogits) {
    boolean[] outputs = new boolean[tokens.length];
    if (allLogits) {
      Arrays.fill(outputs, true);
    } else if (tokens.length > 0) {
      outputs[tokens.length - 1] = true;
    }
    decode(tokens, firstPos, outputs);
  }

  /**
   * Decodes tokens at positions {@code firstPos, firstPos+1, ...} of sequence 0, with per-token output flags.
   * Input longer than {@link #nBatch()} is decoded in chunks; rows of earlier chunks are copied to Java so
   * every flagged row stays readable until the next decode.
   *
   * @throws IllegalArgumentException if {@code firstPos != nPast()}, the tokens do not fit into the cache, a
   *     token id is outside the vocabulary, or the flags do not match the tokens
   * @throws IllegalStateException if llama.cpp fails (then the cache holds nothing past {@code firstPos})
   */
  public void decode(int[] tokens, int firstPos, boolean[] outputs) {
    checkOpen();
    if (tokens.length == 0) {
      throw new IllegalArgumentException("decode: no tokens");
    }
    if (outputs.length != tokens.length) {
      throw new IllegalArgumentException("decode: " + outputs.length + " output flags for " + tokens.length + " tokens");
    }
    if (firstPos != nPast) {
      throw new IllegalArgumentException("decode: firstPos " + firstPos + " must equal nPast() " + nPast
          + " (trim with kvRemove/kvClear first)");
    }
    int limit = Math.min(nCtx, model.positionLimit()); // llama.cpp may round n_ctx up past the table
    if ((long) firstPos + tokens.length > limit) {
      throw new IllegalArgumentException("decode: positions " + firstPos + ".." + (firstPos + tokens.length - 1)
          + " do not fit " + (limit < nCtx ? "the model's " + limit + " learned positions" : "n_ctx " + nCtx));
    }
    Vocab vocab = model.vocab();
    for (int t : tokens) {
      vocab.checkToken(t);
    }
    ReentrantLock lock = InferenceLock.lock();
    lock.lock();
    try {
      lastOutput = null;
      earlierRows.clear();
      if (capture != null) {
        capture.reset();
      }
      for (int start = 0; start < tokens.length; start += nBatch) {
        int n = Math.min(nBatch, tokens.length - start);
        for (int i = 0; i < n; i++) {
          batchTokens.setAtIndex(JAVA_INT, i, tokens[start + i]);
          batchPos.setAtIndex(JAVA_INT, i, firstPos + start + i);
          batchLogits.set(JAVA_BYTE, i, outputs[start + i] ? (byte) 1 : 0);
        }
        batch.set(JAVA_INT, 0, n);
        int rc = (int) LlamaLibrary.DECODE.invokeExact(handle, batch);
        if (rc != 0) {
          nPast = firstPos;
          boolean removed = LlamaLibrary.kvSeqRm(handle, 0, firstPos, -1);
          throw new IllegalStateException("llama_decode returned " + rc + (rc == 1 ? " (no KV-cache slot)" : "")
              + " for tokens " + start + ".." + (start + n - 1) + " at position " + (firstPos + start)
              + (removed ? "" : "; the cache could not be trimmed back"));
        }
        if (start + n < tokens.length) {
          for (int i = 0; i < n; i++) {
            if (outputs[start + i]) {
              float[] row = new float[embeddings ? nEmbd : nVocab];
              copyRow(i, row);
              earlierRows.put(start + i, row);
            }
          }
        } else {
          lastChunkStart = start;
        }
      }
      nPast = firstPos + tokens.length;
      lastOutput = outputs.clone();
      if (capture != null && capture.error != null) {
        throw new IllegalStateException("eval callback failed", capture.error);
      }
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Copies the logits of output row {@code index} (the token's index in the last decode; -1 for the last token)
   * into {@code dst[0..vocab)}.
   *
   * @throws IllegalStateException if this context decodes embeddings, or the token had no output flag
   */
  public void copyLogits(int index, float[] dst) {
    if (embeddings) {
      throw new IllegalStateException("this context decodes embeddings; b4916 yields no logits then");
    }
    copyOutput(index, dst, nVocab);
  }

  /** Convenience: the logits of output row {@code index} in a new array. */
  public float[] logits(int index) {
    float[] out = new float[nVocab];
    copyLogits(index, out);
    return out;
  }

  /**
   * Copies the embedding (final-norm output, n_embd floats) of output row {@code index}; needs a context
   * created with {@link ContextOptions#embeddings()}.
   */
  public void copyEmbedding(int index, float[] dst) {
    if (!embeddings) {
      throw new IllegalStateException("this context decodes logits; create it with embeddings on");
    }
    copyOutput(index, dst, nEmbd);
  }

  /** Whether token {@code index} of the last decode has an output row. */
  public boolean hasOutput(int index) {
    boolean[] out = lastOutput;
    int i = index == -1 && out != null ? out.length - 1 : index;
    return out != null && i >= 0 && i < out.length && out[i];
  }

  private void copyOutput(int index, float[] dst, int width) {
    checkOpen();
    boolean[] out = lastOutput;
    if (out == null) {
      throw new IllegalStateException("no successful decode yet, so no output rows");
    }
    int i = index == -1 ? out.length - 1 : index;
    if (i < 0 || i >= out.length || !out[i]) {
      throw new IllegalArgumentException("token " + index + " of the last decode (" + out.length
          + " tokens) has no output row; set its output flag");
    }
    if (dst.length < width) {
      throw new IllegalArgumentException("destination holds " + dst.length + " floats, need " + width);
    }
    float[] saved = earlierRows.get(i);
    if (saved != null) {
      System.arraycopy(saved, 0, dst, 0, width);
      return;
    }
    ReentrantLock lock = InferenceLock.lock();
    lock.lock();
    try {
      copyRow(i - lastChunkStart, dst);
    } finally {
      lock.unlock();
    }
  }

  /** Copies row {@code batchIndex} of the latest native decode; the caller holds the inference lock. */
  private void copyRow(int batchIndex, float[] dst) {
    MemorySegment p;
    try {
      p = embeddings
          ? (MemorySegment) LlamaLibrary.GET_EMBEDDINGS_ITH.invokeExact(handle, batchIndex)
          : (MemorySegment) LlamaLibrary.GET_LOGITS_ITH.invokeExact(handle, batchIndex);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
    if (p.address() == 0) {
      throw new IllegalStateException("llama.cpp has no " + (embeddings ? "embeddings" : "logits")
          + " for batch index " + batchIndex);
    }
    int width = embeddings ? nEmbd : nVocab;
    MemorySegment.copy(p.reinterpret((long) width * Float.BYTES), JAVA_FLOAT, 0, dst, 0, width);
  }

  /**
   * The tensor {@code name} (one of {@link ContextOptions#capture()}) as computed by the last decode.
   *
   * @throws IllegalStateException if the name was not requested, or the graph had no node of that name
   */
  public CapturedTensor captured(String name) {
    checkOpen();
    if (capture == null || !capture.names.contains(name)) {
      throw new IllegalArgumentException("tensor " + name + " was not requested; ContextOptions.capture is "
          + (capture == null ? "empty" : capture.names));
    }
    if (lastOutput == null) {
      throw new IllegalStateException("no successful decode yet, so nothing captured");
    }
    return capture.result(name);
  }

  /**
   * Removes positions {@code [fromPos, toPos)} of sequence 0 from the KV cache ({@code toPos < 0}: to the end).
   * When the removed range reaches the end, {@link #nPast()} becomes {@code fromPos}.
   */
  public void kvRemove(int fromPos, int toPos) {
    checkOpen();
    if (fromPos < 0 || (toPos >= 0 && toPos <= fromPos)) {
      throw new IllegalArgumentException("kvRemove: bad range [" + fromPos + ", " + toPos + ")");
    }
    ReentrantLock lock = InferenceLock.lock();
    lock.lock();
    try {
      boolean ok = LlamaLibrary.kvSeqRm(handle, 0, fromPos, toPos);
      if (!ok) {
        throw new IllegalStateException("llama.cpp could not remove positions [" + fromPos + ", " + toPos + ")");
      }
      if ((toPos < 0 || toPos >= nPast) && fromPos < nPast) {
        nPast = fromPos;
      }
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    } finally {
      lock.unlock();
    }
  }

  /** Empties the KV cache; {@link #nPast()} becomes 0. */
  public void kvClear() {
    checkOpen();
    ReentrantLock lock = InferenceLock.lock();
    lock.lock();
    try {
      LlamaLibrary.kvClear(handle);
      nPast = 0;
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    } finally {
      lock.unlock();
    }
  }

  /** Cells in use in the KV cache, as llama.cpp counts them. */
  public int kvUsedCells() {
    checkOpen();
    try {
      return LlamaLibrary.kvUsedCells(handle);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /** Frees the context, its batch and its callback stub. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    ReentrantLock lock = InferenceLock.lock();
    lock.lock();
    try {
      freeNative(handle, batch);
    } finally {
      lock.unlock();
      arena.close();
      model.contextClosed();
    }
  }

  private static void freeNative(MemorySegment ctx, MemorySegment batch) {
    try {
      if (batch != null) {
        LlamaLibrary.BATCH_FREE.invokeExact(batch);
      }
      LlamaLibrary.FREE.invokeExact(ctx);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  MemorySegment handle() {
    checkOpen();
    return handle;
  }

  int nVocab() {
    return nVocab;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("context is closed");
    }
  }

  /** The eval-callback target: copies the requested F32 nodes; never lets an exception reach native code. */
  private static final class CaptureSink {
    final List<String> names;
    private final boolean allRowsFfnInp;
    private final Map<String, List<float[]>> parts = new HashMap<>();
    private final Map<String, Integer> widths = new HashMap<>();
    private float[] pendingSource;
    private long pendingRowIds;
    Throwable error;

    CaptureSink(List<String> names) {
      this.names = names;
      this.allRowsFfnInp = names.contains(FFN_INP_ALL_ROWS);
    }

    void reset() {
      parts.clear();
      widths.clear();
      pendingSource = null;
      error = null;
    }

    @SuppressWarnings("unused") // upcall target
    boolean onTensor(MemorySegment tensor, boolean ask, MemorySegment userData) {
      try {
        String name = Natives.string((MemorySegment) LlamaLibrary.GGML_GET_NAME.invokeExact(tensor));
        boolean outputRows = allRowsFfnInp && isOutputRowSelection(tensor);
        if (ask) {
          return outputRows || names.contains(name);
        }
        if (outputRows) {
          MemorySegment t = GgmlTensor.at(tensor);
          addRowSource(readF32(GgmlTensor.src(t, 0), "source of " + name), GgmlTensor.src(t, 1).address());
        } else if (names.contains(name)) {
          float[][] t = readF32(tensor, name);
          parts.computeIfAbsent(name, k -> new ArrayList<>()).add(t[0]);
          widths.put(name, t[1].length);
        }
        return true; // a node computed anyway; returning false would abort the graph
      } catch (Throwable t) {
        if (error == null) {
          error = t;
        }
        return !ask;
      }
    }

    /**
     * Whether {@code tensor} is {@code get_rows(x, inp_out_ids)}: the last block keeping only output rows. b4916
     * leaves the {@code inp_out_ids} input unnamed ({@code leaf_<n>}), so the node is told apart from the other
     * get_rows of these graphs (token and position embeddings) by its source: a computed activation, not a weight.
     */
    private static boolean isOutputRowSelection(MemorySegment tensor) {
      MemorySegment t = GgmlTensor.at(tensor);
      if (GgmlTensor.op(t) != GgmlTensor.OP_GET_ROWS) {
        return false;
      }
      MemorySegment source = GgmlTensor.src(t, 0);
      return source.address() != 0 && GgmlTensor.op(GgmlTensor.at(source)) != GgmlTensor.OP_NONE;
    }

    /**
     * The two output-row selections of one micro-batch come as a pair (attention output, residual); their sum
     * is {@code ffn_inp}. Float addition is commutative, so the sum is bit-identical to llama.cpp's whichever
     * order the graph lists them in.
     */
    private void addRowSource(float[][] source, long rowIds) {
      if (pendingSource == null) {
        pendingSource = source[0];
        pendingRowIds = rowIds;
        return;
      }
      float[] a = pendingSource;
      float[] b = source[0];
      pendingSource = null;
      if (a.length != b.length || rowIds != pendingRowIds) {
        throw new IllegalStateException("two consecutive output-row selections differ: " + a.length + " and "
            + b.length + " floats, row ids " + (rowIds == pendingRowIds ? "shared" : "not shared")
            + "; " + FFN_INP_ALL_ROWS + " expects the attention output and the residual of one micro-batch");
      }
      float[] sum = new float[a.length];
      for (int i = 0; i < sum.length; i++) {
        sum[i] = a[i] + b[i];
      }
      parts.computeIfAbsent(FFN_INP_ALL_ROWS, k -> new ArrayList<>()).add(sum);
      widths.put(FFN_INP_ALL_ROWS, source[1].length);
    }

    /** Copies a contiguous F32 tensor; returns {values, new float[width]} (the second only carries the width). */
    private static float[][] readF32(MemorySegment tensor, String what) throws Throwable {
      long bytes = (long) LlamaLibrary.GGML_NBYTES.invokeExact(tensor);
      long elements = (long) LlamaLibrary.GGML_NELEMENTS.invokeExact(tensor);
      long rows = (long) LlamaLibrary.GGML_NROWS.invokeExact(tensor);
      MemorySegment t = GgmlTensor.at(tensor);
      long width = GgmlTensor.ne(t, 0);
      if (bytes != elements * Float.BYTES || GgmlTensor.nb(t, 0) != Float.BYTES
          || (rows > 1 && GgmlTensor.nb(t, 1) != width * Float.BYTES)) {
        throw new IllegalStateException("captured tensor " + what + " is not contiguous F32 (" + bytes
            + " bytes for " + elements + " elements)");
      }
      float[] values = new float[Math.toIntExact(elements)];
      try (Arena tmp = Arena.ofConfined()) {
        MemorySegment buf = tmp.allocate(bytes, Float.BYTES);
        LlamaLibrary.GGML_BACKEND_TENSOR_GET.invokeExact(tensor, buf, 0L, bytes);
        MemorySegment.copy(buf, JAVA_FLOAT, 0, values, 0, values.length);
      }
      return new float[][] {values, new float[Math.toIntExact(width)]};
    }

    CapturedTensor result(String name) {
      if (pendingSource != null) {
        throw new IllegalStateException("the last decode's graph had an odd number of output-row selections "
            + "(get_rows of an activation); " + FFN_INP_ALL_ROWS + " needs the attention output and the residual of every micro-batch");
      }
      List<float[]> p = parts.get(name);
      if (p == null) {
        throw new IllegalStateException("the last decode computed no graph node named " + name);
      }
      int total = 0;
      for (float[] a : p) {
        total += a.length;
      }
      float[] all = new float[total];
      int at = 0;
      for (float[] a : p) {
        System.arraycopy(a, 0, all, at, a.length);
        at += a.length;
      }
      return new CapturedTensor(name, widths.get(name), all);
    }
  }
}

package dev.memdec.natives.llama;

import java.util.List;

/**
 * How to create a {@link LlamaContext}.
 *
 * @param nCtx KV-cache size in tokens
 * @param nBatch the most tokens one {@code llama_decode} takes; {@link LlamaContext#decode} splits longer input
 * @param nUbatch llama.cpp's physical micro-batch, {@code 1 <= nUbatch <= nBatch}
 * @param threads threads for single-token decodes
 * @param threadsBatch threads for multi-token decodes
 * @param kvType KV-cache element type ({@link KvType#F32} for exact comparisons)
 * @param embeddings decode into embeddings (final-norm output) instead of logits; in b4916 a decode yields one
 *     or the other, never both (use {@link #capture} to get a hidden state alongside logits)
 * @param capture names of graph tensors to copy out during every decode through the eval callback, e.g.
 *     {@link LlamaContext#RESULT_NORM} or {@link LlamaContext#ffnInput(int)}, or the pseudo-name
 *     {@link LlamaContext#FFN_INP_ALL_ROWS}; empty for none (no callback, no graph splits)
 */
public record ContextOptions(int nCtx, int nBatch, int nUbatch, int threads, int threadsBatch, KvType kvType,
                             boolean embeddings, List<String> capture) {
  public ContextOptions {
    if (nCtx < 1) {
      throw new IllegalArgumentException("nCtx must be >= 1, got " + nCtx);
    }
    if (nBatch < 1) {
      throw new IllegalArgumentException("nBatch must be >= 1, got " + nBatch);
    }
    if (nUbatch < 1 || nUbatch > nBatch) {
      throw new IllegalArgumentException("nUbatch must be in [1, nBatch=" + nBatch + "], got " + nUbatch);
    }
    if (threads < 1 || threadsBatch < 1) {
      throw new IllegalArgumentException("threads and threadsBatch must be >= 1, got " + threads + "/" + threadsBatch);
    }
    if (kvType == null) {
      throw new IllegalArgumentException("kvType must not be null");
    }
    capture = List.copyOf(capture);
  }

  /** n_ctx 512, n_batch and n_ubatch 512, all cores, F16 cache, logits, no capture. */
  public static ContextOptions defaults() {
    int cores = Runtime.getRuntime().availableProcessors();
    return new ContextOptions(512, 512, 512, cores, cores, KvType.F16, false, List.of());
  }

  public ContextOptions withNCtx(int n) {
    return new ContextOptions(n, nBatch, nUbatch, threads, threadsBatch, kvType, embeddings, capture);
  }

  /** Sets n_batch and n_ubatch together. */
  public ContextOptions withBatch(int nBatch, int nUbatch) {
    return new ContextOptions(nCtx, nBatch, nUbatch, threads, threadsBatch, kvType, embeddings, capture);
  }

  public ContextOptions withThreads(int threads, int threadsBatch) {
    return new ContextOptions(nCtx, nBatch, nUbatch, threads, threadsBatch, kvType, embeddings, capture);
  }

  public ContextOptions withKvType(KvType type) {
    return new ContextOptions(nCtx, nBatch, nUbatch, threads, threadsBatch, type, embeddings, capture);
  }

  public ContextOptions withEmbeddings(boolean on) {
    return new ContextOptions(nCtx, nBatch, nUbatch, threads, threadsBatch, kvType, on, capture);
  }

  public ContextOptions withCapture(String... tensorNames) {
    return new ContextOptions(nCtx, nBatch, nUbatch, threads, threadsBatch, kvType, embeddings,
        List.of(tensorNames));
  }
}

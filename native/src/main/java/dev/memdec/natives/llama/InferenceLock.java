package dev.memdec.natives.llama;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The one process-wide lock every {@code llama_decode} runs under.
 *
 * <p>In llama.cpp b4916 (CPU), two {@code llama_decode} calls that overlap in time corrupt the logits of
 * <em>both</em> contexts (about 3 logits of error, measured in shared/docs/parallel-decode.md), even with one
 * thread each; taking turns gives bit-identical results. So this package decodes, and copies logits and
 * embeddings out, only while holding this lock, and every other user of llama.cpp in the same JVM must take it
 * too. That includes java-llama.cpp, whose server thread decodes on its own schedule (including a warm-up
 * decode while the model is constructed, and tokens ahead of a {@code generate} iterator's consumer). So hold the
 * lock around each whole java-llama.cpp operation: constructing {@code de.kherud.llama.LlamaModel}, each
 * {@code complete}, {@code encode} and {@code embed} call, and a {@code generate} loop from its first to its
 * last token:
 * <pre>{@code
 * InferenceLock.lock().lock();
 * try { text = javaLlamaModel.complete(params); } finally { InferenceLock.lock().unlock(); }
 * }</pre>
 * The lock is reentrant, so callers may hold it around a whole generation step (host decode, memory decode,
 * mixing) to keep the step atomic.
 */
public final class InferenceLock {
  private static final ReentrantLock LOCK = new ReentrantLock();

  private InferenceLock() {}

  /** The process-wide lock. */
  public static ReentrantLock lock() {
    return LOCK;
  }
}

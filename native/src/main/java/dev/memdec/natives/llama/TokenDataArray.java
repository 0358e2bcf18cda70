package dev.memdec.natives.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;

/**
 * A view of llama.cpp's candidate array ({@code llama_token_data_array}): {@code size()} entries of
 * (token id, logit, probability), a selected index and a sorted flag. Handed to {@link JavaSampler#apply};
 * valid only during that call, and only on that thread.
 */
@SuppressWarnings("restricted") // calling native code is this class's purpose (native access is enabled)
public final class TokenDataArray {
  private static final long DATA = LlamaLibrary.offset(LlamaLibrary.TOKEN_DATA_ARRAY, "data");
  private static final long SIZE = LlamaLibrary.offset(LlamaLibrary.TOKEN_DATA_ARRAY, "size");
  private static final long SELECTED = LlamaLibrary.offset(LlamaLibrary.TOKEN_DATA_ARRAY, "selected");
  private static final long SORTED = LlamaLibrary.offset(LlamaLibrary.TOKEN_DATA_ARRAY, "sorted");
  private static final long ENTRY = LlamaLibrary.TOKEN_DATA.byteSize();
  private static final long LOGIT = LlamaLibrary.offset(LlamaLibrary.TOKEN_DATA, "logit");
  private static final long P = LlamaLibrary.offset(LlamaLibrary.TOKEN_DATA, "p");

  private final MemorySegment array;
  private final MemorySegment data;
  private final int size;

  TokenDataArray(MemorySegment arrayPointer) {
    this.array = arrayPointer.reinterpret(LlamaLibrary.TOKEN_DATA_ARRAY.byteSize());
    this.size = Math.toIntExact(array.get(JAVA_LONG, SIZE));
    this.data = array.get(ADDRESS, DATA).reinterpret(size * ENTRY);
  }

  /** Number of candidates. */
  public int size() {
    return size;
  }

  /** Token id of candidate {@code i}. */
  public int id(int i) {
    return data.get(JAVA_INT, check(i) * ENTRY);
  }

  public float logit(int i) {
    return data.get(JAVA_FLOAT, check(i) * ENTRY + LOGIT);
  }

  public void setLogit(int i, float logit) {
    data.set(JAVA_FLOAT, check(i) * ENTRY + LOGIT, logit);
  }

  /** Copies the logits of candidates {@code 0..dst.length)} into {@code dst}, in candidate order. */
  public void copyLogits(float[] dst) {
    checkCount(dst.length);
    for (int i = 0; i < dst.length; i++) {
      dst[i] = data.get(JAVA_FLOAT, i * ENTRY + LOGIT);
    }
  }

  /** Sets the logits of candidates {@code 0..count)} to {@code src[0..count)}. */
  public void setLogits(float[] src, int count) {
    checkCount(count);
    if (count > src.length) {
      throw new IndexOutOfBoundsException(count + " logits requested from an array of " + src.length);
    }
    for (int i = 0; i < count; i++) {
      data.set(JAVA_FLOAT, i * ENTRY + LOGIT, src[i]);
    }
  }

  /** Probability of candidate {@code i}; meaningful only after a sampler that computes it (e.g. top-p, dist). */
  public float probability(int i) {
    return data.get(JAVA_FLOAT, check(i) * ENTRY + P);
  }

  public void setProbability(int i, float p) {
    data.set(JAVA_FLOAT, check(i) * ENTRY + P, p);
  }

  /** Index (not token id) of the selected candidate, or -1. */
  public int selected() {
    return (int) array.get(JAVA_LONG, SELECTED);
  }

  /** Selects candidate index {@code i} (-1 for none). */
  public void select(int i) {
    if (i != -1) {
      check(i);
    }
    array.set(JAVA_LONG, SELECTED, i);
  }

  /** Whether the candidates are sorted by descending logit. */
  public boolean sorted() {
    return array.get(JAVA_BOOLEAN, SORTED);
  }

  /** Declares the order; set false after changing logits of a sorted array. */
  public void setSorted(boolean sorted) {
    array.set(JAVA_BOOLEAN, SORTED, sorted);
  }

  private void checkCount(int count) {
    if (count < 0 || count > size) {
      throw new IndexOutOfBoundsException(count + " candidates requested of " + size);
    }
  }

  private long check(int i) {
    if (i < 0 || i >= size) {
      throw new IndexOutOfBoundsException("candidate " + i + " of " + size);
    }
    return i;
  }
}

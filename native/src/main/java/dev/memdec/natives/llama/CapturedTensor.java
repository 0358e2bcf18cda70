package dev.memdec.natives.llama;

/**
 * Rows of a graph tensor copied out by the eval callback during one {@link LlamaContext#decode} call, in batch
 * order, joined over all the micro-batches and chunks the decode used.
 *
 * <p>In the last block and after it, llama.cpp keeps only the rows of tokens that asked for output, so a tensor
 * such as {@code ffn_norm-<last>} or {@code result_norm} has one row per output token; earlier layers have one
 * row per decoded token. {@link LlamaContext#FFN_INP_ALL_ROWS} is the exception: it has a row for every token.
 *
 * @param name the ggml node name, e.g. {@code ffn_norm-1}
 * @param width elements per row ({@code ne[0]}, n_embd for hidden states)
 * @param values {@code rows() * width} floats, row-major
 */
public record CapturedTensor(String name, int width, float[] values) {
  public int rows() {
    return values.length / width;
  }

  /** A copy of row {@code r}. */
  public float[] row(int r) {
    if (r < 0 || r >= rows()) {
      throw new IndexOutOfBoundsException(name + ": row " + r + " of " + rows());
    }
    float[] out = new float[width];
    System.arraycopy(values, r * width, out, 0, width);
    return out;
  }
}

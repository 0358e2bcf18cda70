package dev.memdec.converter.hf;

import dev.memdec.converter.gguf.FloatSource;

/**
 * One tensor of the GGUF to write.
 *
 * @param name   GGUF tensor name, e.g. {@code blk.0.attn_q.weight}
 * @param ne     ggml dims, innermost first (the reverse of the PyTorch shape after any transpose)
 * @param values elements in GGUF order
 */
record PlannedTensor(String name, long[] ne, FloatSource values) {
}

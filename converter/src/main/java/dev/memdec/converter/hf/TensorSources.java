package dev.memdec.converter.hf;

import dev.memdec.converter.gguf.FloatSource;
import dev.memdec.converter.safetensors.SafetensorsTensor;

/**
 * The orientation rules as {@link FloatSource}s: each yields the GGUF element order (ne[0] fastest) of an HF
 * tensor, reading straight from the memory-mapped shard so that conversion streams tensor by tensor.
 */
final class TensorSources {

    private TensorSources() {
    }

    /** The tensor as stored: PyTorch row-major order already is GGUF order with the dims reversed. */
    static FloatSource asStored(SafetensorsTensor t) {
        return (first, dst, count) -> t.read(first, dst, 0, count);
    }

    /**
     * A GPT-2 {@code Conv1D} weight stored as [in, out], produced as the [out, in] matrix ggml's matmul
     * expects (gguf-spec §2.3). Element k of the output is row k / in, column k % in of the transpose,
     * i.e. element (k % in, k / in) of the stored matrix.
     */
    static FloatSource transposed(SafetensorsTensor t) {
        long in = t.dim(0);
        long out = t.dim(1);
        return (first, dst, count) -> {
            for (int i = 0; i < count; i++) {
                long k = first + i;
                dst[i] = t.get((k % in) * out + k / in);
            }
        };
    }

    /**
     * Llama Q/K rows reordered from HF's half-split rotary layout to ggml's adjacent-pair layout
     * (gguf-spec §3.3): within each head of {@code headDim} rows, new row 2j is old row j and new row 2j+1 is
     * old row j + headDim/2. Works for weights ([rows, cols]) and biases ([rows], one column).
     */
    static FloatSource ropePermuted(SafetensorsTensor t, int heads) {
        long rows = t.dim(0);
        long cols = t.rank() == 2 ? t.dim(1) : 1;
        if (rows % heads != 0 || (rows / heads) % 2 != 0) {
            throw new IllegalArgumentException(t.file() + ": tensor '" + t.name() + "' has " + rows
                    + " rows, not a whole number of " + heads + " heads of even size");
        }
        long headDim = rows / heads;
        long half = headDim / 2;
        return (first, dst, count) -> {
            int done = 0;
            while (done < count) {
                long k = first + done;
                long row = k / cols;
                long col = k % cols;
                long head = row / headDim;
                long r = row % headDim;
                long oldRow = head * headDim + (r % 2 == 0 ? r / 2 : r / 2 + half);
                int n = (int) Math.min(count - done, cols - col);
                t.read(oldRow * cols + col, dst, done, n);
                done += n;
            }
        };
    }
}

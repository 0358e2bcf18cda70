package dev.memdec.converter.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor-info record: name, type, dimensions innermost first ({@code ne[0]} is the row length, the
 * reverse of the PyTorch shape) and the byte offset relative to the start of the tensor-data section.
 */
public record GgufTensorInfo(String name, GgmlType type, long[] ne, long offset) {

    public GgufTensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        ne = ne.clone();
    }

    @Override
    public long[] ne() {
        return ne.clone();
    }

    /** Number of dimensions stored in the file. */
    public int nDims() {
        return ne.length;
    }

    /** Dimension {@code i}, or 1 beyond the stored ones (as ggml pads to 4 dims). */
    public long ne(int i) {
        return i < ne.length ? ne[i] : 1;
    }

    /** The product of the dimensions. */
    public long elementCount() {
        long n = 1;
        for (long d : ne) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Bytes of the tensor's data, without padding. */
    public long byteSize() {
        return type.byteSize(ne);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && type == t.type && Arrays.equals(ne, t.ne)
                && offset == t.offset;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(ne), offset);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(ne) + " @" + offset;
    }
}

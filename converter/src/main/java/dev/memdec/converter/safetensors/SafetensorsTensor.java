package dev.memdec.converter.safetensors;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor of a safetensors file: its header entry and a zero-copy slice of the memory-mapped buffer.
 * Elements are row-major (C order, the PyTorch shape's last dimension fastest) and little-endian.
 *
 * @param file  the file the tensor lives in, for error messages
 * @param shape the PyTorch shape, outermost dimension first
 * @param data  exactly {@code elementCount() * dtype.byteSize()} bytes; valid while the file is open
 */
public record SafetensorsTensor(Path file, String name, SafetensorsDtype dtype, long[] shape, MemorySegment data) {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public SafetensorsTensor {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i} of the PyTorch shape. */
    public long dim(int i) {
        return shape[i];
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Element {@code index} (row-major) widened to float; see {@link #read} for the dtypes allowed. */
    public float get(long index) {
        return switch (dtype) {
            case F32 -> data.get(F32, index * 4);
            case F16 -> Float.float16ToFloat(data.get(I16, index * 2));
            case BF16 -> Float.intBitsToFloat(data.get(I16, index * 2) << 16);
            default -> throw notConvertible();
        };
    }

    private IllegalStateException notConvertible() {
        return new IllegalStateException(file + ": tensor '" + name + "' has dtype " + dtype + ", expected F32, F16 or BF16");
    }

    /**
     * Copies {@code count} elements starting at row-major index {@code first} into {@code dst[dstPos..]},
     * widening F16 and BF16 to float.
     *
     * @throws IllegalStateException if the dtype is not F32, F16 or BF16
     * @throws IndexOutOfBoundsException if the range lies outside the tensor
     */
    public void read(long first, float[] dst, int dstPos, int count) {
        long bytes = dtype.byteSize();
        long offset = first * bytes;
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, F32, offset, dst, dstPos, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstPos + i] = Float.float16ToFloat(data.get(I16, offset + 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstPos + i] = Float.intBitsToFloat(data.get(I16, offset + 2L * i) << 16);
                }
            }
            default -> throw notConvertible();
        }
    }

    /** All elements as floats (small tensors only: at most {@code Integer.MAX_VALUE - 8} elements). */
    public float[] toFloatArray() {
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(file + ": tensor '" + name + "' has " + n + " elements, too many for one array");
        }
        float[] out = new float[(int) n];
        read(0, out, 0, out.length);
        return out;
    }

    @Override
    public String toString() {
        return "SafetensorsTensor[" + name + " " + dtype + " " + Arrays.toString(shape) + " in " + file + "]";
    }

    /** Identity: a slice of a mapped file has no useful value equality (and record equality would compare arrays by reference anyway). */
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}

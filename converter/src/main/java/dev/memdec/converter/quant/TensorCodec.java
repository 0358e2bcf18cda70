package dev.memdec.converter.quant;

import dev.memdec.converter.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * Converts runs of floats to and from the byte layout of the encodable ggml types
 * ({@link GgmlType#canEncode()}): F32, F16, BF16, Q8_0, Q4_0. All multi-byte values are little-endian.
 */
public final class TensorCodec {

    private static final ValueLayout.OfFloat FLOAT_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Below this many elements per slice, splitting an encode across threads costs more than it saves. */
    private static final int PARALLEL_MIN_ELEMENTS = 1 << 16;

    private TensorCodec() {
    }

    /** Bytes that {@code count} elements occupy in {@code type}; {@code count} must be a whole number of blocks. */
    public static long encodedSize(GgmlType type, long count) {
        requireWholeBlocks(type, count);
        return count / type.blockSize() * type.typeSize();
    }

    /**
     * Encodes {@code src[from .. from+count)} into {@code dst} starting at byte {@code at}. Large runs are split
     * across the common fork-join pool, so {@code dst} must be accessible from any thread (a heap, global or
     * shared-arena segment, not a confined one).
     *
     * @throws IllegalArgumentException if the type cannot be encoded or {@code count} is not a whole
     *     number of blocks
     */
    public static void encode(GgmlType type, float[] src, int from, int count, MemorySegment dst, long at) {
        requireEncodable(type);
        requireWholeBlocks(type, count);
        int blocks = count / type.blockSize();
        int slices = Math.min(ForkJoinPool.getCommonPoolParallelism() + 1, count / PARALLEL_MIN_ELEMENTS);
        if (slices < 2) {
            encodeSlice(type, src, from, count, dst, at);
            return;
        }
        // Blocks are independent, so slices of whole blocks encode on all cores into disjoint byte ranges and
        // the output is the same bytes as a sequential encode: conversion is CPU-bound, not disk-bound.
        IntStream.range(0, slices).parallel().forEach(i -> {
            int firstBlock = (int) ((long) blocks * i / slices);
            int endBlock = (int) ((long) blocks * (i + 1) / slices);
            int first = firstBlock * type.blockSize();
            encodeSlice(type, src, from + first, (endBlock - firstBlock) * type.blockSize(), dst,
                    at + (long) firstBlock * type.typeSize());
        });
    }

    private static void encodeSlice(GgmlType type, float[] src, int from, int count, MemorySegment dst, long at) {
        switch (type) {
            case F32 -> MemorySegment.copy(src, from, dst, FLOAT_LE, at, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(SHORT_LE, at + 2L * i, Float16.fromFloat(src[from + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(SHORT_LE, at + 2L * i, BFloat16.fromFloat(src[from + i]));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < count / Q8_0Block.ELEMENTS; b++) {
                    Q8_0Block.quantize(src, from + b * Q8_0Block.ELEMENTS, dst, at + (long) b * Q8_0Block.BYTES);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < count / Q4_0Block.ELEMENTS; b++) {
                    Q4_0Block.quantize(src, from + b * Q4_0Block.ELEMENTS, dst, at + (long) b * Q4_0Block.BYTES);
                }
            }
            default -> throw new AssertionError(type);
        }
    }

    /**
     * Decodes elements {@code first .. first+count)} of a tensor whose encoded bytes start at byte 0 of
     * {@code tensor} into {@code dst[to ..]}. Any element range works, also one that starts or ends
     * inside a block.
     *
     * @throws IllegalArgumentException if the type cannot be decoded
     * @throws IndexOutOfBoundsException if the range lies outside {@code tensor}
     */
    public static void decode(GgmlType type, MemorySegment tensor, long first, float[] dst, int to, int count) {
        requireEncodable(type);
        switch (type) {
            case F32 -> MemorySegment.copy(tensor, FLOAT_LE, 4 * first, dst, to, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst[to + i] = Float16.toFloat(tensor.get(SHORT_LE, 2 * (first + i)));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst[to + i] = BFloat16.toFloat(tensor.get(SHORT_LE, 2 * (first + i)));
                }
            }
            case Q8_0, Q4_0 -> decodeBlocks(type, tensor, first, dst, to, count);
            default -> throw new AssertionError(type);
        }
    }

    private static void decodeBlocks(GgmlType type, MemorySegment tensor, long first, float[] dst, int to, int count) {
        int block = type.blockSize();
        float[] partial = null;
        int done = 0;
        while (done < count) {
            long element = first + done;
            long blockIndex = element / block;
            int within = (int) (element % block);
            int n = Math.min(block - within, count - done);
            long at = blockIndex * type.typeSize();
            if (within == 0 && n == block) {
                dequantizeBlock(type, tensor, at, dst, to + done);
            } else {
                if (partial == null) {
                    partial = new float[block];
                }
                dequantizeBlock(type, tensor, at, partial, 0);
                System.arraycopy(partial, within, dst, to + done, n);
            }
            done += n;
        }
    }

    private static void dequantizeBlock(GgmlType type, MemorySegment tensor, long at, float[] dst, int to) {
        if (type == GgmlType.Q8_0) {
            Q8_0Block.dequantize(tensor, at, dst, to);
        } else {
            Q4_0Block.dequantize(tensor, at, dst, to);
        }
    }

    private static void requireEncodable(GgmlType type) {
        if (!type.canEncode()) {
            throw new IllegalArgumentException("ggml type " + type + " cannot be encoded or decoded here"
                    + " (supported: F32, F16, BF16, Q8_0, Q4_0)");
        }
    }

    private static void requireWholeBlocks(GgmlType type, long count) {
        if (count < 0 || count % type.blockSize() != 0) {
            throw new IllegalArgumentException(count + " elements are not a whole number of " + type
                    + " blocks of " + type.blockSize());
        }
    }
}

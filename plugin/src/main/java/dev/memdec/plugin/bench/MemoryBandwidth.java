package dev.memdec.plugin.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures the machine's read bandwidth the way batch-1 decoding uses it: every thread streams through its share of
 * a large off-heap block once per pass. The reading is native: C's {@code memchr} (vectorised in every libc) looks
 * for a byte the block does not hold, so it reads every byte at the speed native code reads memory; a loop in Java
 * reached about half of that. The block is far larger than any cache, so the best pass is the sustained DRAM read
 * rate that bounds tokens per second (each token reads every weight once). {@code scripts/bench/read-bandwidth.sh}
 * checks the figure against an independent C summing loop.
 */
@SuppressWarnings("restricted") // the probe calls libc's memchr (native access is enabled)
public final class MemoryBandwidth {

    private static final byte FILL = 0x5a;
    private static final MethodHandle MEMCHR = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("memchr").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));

    private MemoryBandwidth() {
    }

    /**
     * Bytes per second, the best of {@code passes} passes over {@code bytes} of native memory with {@code threads}
     * threads.
     */
    public static double measure(long bytes, int threads, int passes) {
        if (threads < 1 || passes < 1 || bytes < 4096L * threads) {
            throw new IllegalArgumentException("bandwidth probe out of range: " + bytes + " bytes, " + threads
                    + " threads, " + passes + " passes");
        }
        double best = 0;
        try (Arena arena = Arena.ofShared(); ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            MemorySegment block = arena.allocate(bytes, 4096);
            block.fill(FILL); // every page written, so no pass reads the shared zero page or takes page faults
            long chunk = bytes / threads;
            for (int p = 0; p < passes; p++) {
                List<Future<Boolean>> parts = new ArrayList<>();
                long start = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    long from = t * chunk;
                    long length = t == threads - 1 ? bytes - from : chunk;
                    parts.add(pool.submit(() -> readsAll(block.asSlice(from, length))));
                }
                for (Future<Boolean> f : parts) {
                    if (!f.get()) {
                        throw new IllegalStateException("bandwidth probe found a byte it never wrote");
                    }
                }
                best = Math.max(best, bytes / ((System.nanoTime() - start) / 1e9));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bandwidth probe interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("bandwidth probe failed", e.getCause());
        }
        return best;
    }

    /** True when {@code memchr} read all of {@code part} without finding a zero byte (the block holds none). */
    private static boolean readsAll(MemorySegment part) {
        try {
            return ((MemorySegment) MEMCHR.invokeExact(part, 0, part.byteSize())).equals(MemorySegment.NULL);
        } catch (Throwable e) {
            throw new IllegalStateException("memchr failed", e);
        }
    }
}

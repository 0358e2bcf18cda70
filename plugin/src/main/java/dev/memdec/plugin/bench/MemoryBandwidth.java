package dev.memdec.plugin.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures the machine's read bandwidth the way batch-1 decoding uses it: every thread streams through its share
 * of a large array once per pass and sums it. The array is far larger than any cache, so the best pass is the
 * sustained DRAM read rate that bounds tokens per second (each token reads every weight once).
 */
public final class MemoryBandwidth {

    private static final int LANES = 16;

    private MemoryBandwidth() {
    }

    /**
     * Bytes per second, the best of {@code passes} passes over {@code bytes} of heap with {@code threads} threads.
     */
    public static double measure(long bytes, int threads, int passes) {
        if (bytes < LANES * 4L * threads || bytes / 4 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("bandwidth probe size out of range: " + bytes + " bytes");
        }
        float[] data = new float[(int) (bytes / 4)];
        for (int i = 0; i < data.length; i += 1024) {
            data[i] = 1f; // touch every page so the first pass does not measure page faults
        }
        double best = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int p = 0; p < passes; p++) {
                List<Future<Float>> parts = new ArrayList<>();
                long start = System.nanoTime();
                int chunk = data.length / threads / LANES * LANES;
                for (int t = 0; t < threads; t++) {
                    int from = t * chunk;
                    int to = t == threads - 1 ? data.length - data.length % LANES : from + chunk;
                    parts.add(pool.submit(() -> sum(data, from, to)));
                }
                float total = 0;
                for (Future<Float> f : parts) {
                    total += f.get();
                }
                long nanos = System.nanoTime() - start;
                if (total < 0) {
                    throw new IllegalStateException("impossible negative sum"); // keeps the sums alive
                }
                best = Math.max(best, bytes / (nanos / 1e9));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bandwidth probe interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("bandwidth probe failed", e.getCause());
        }
        return best;
    }

    private static float sum(float[] x, int from, int to) {
        float[] lanes = new float[LANES];
        for (int i = from; i < to; i += LANES) {
            for (int j = 0; j < LANES; j++) {
                lanes[j] += x[i + j];
            }
        }
        float s = 0;
        for (float lane : lanes) {
            s += lane;
        }
        return s;
    }
}

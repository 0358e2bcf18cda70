package dev.memdec.plugin.mlp;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits each matrix-vector product's rows across a fixed set of threads: the calling thread computes the first
 * share and {@code threads - 1} daemon workers the others, every product the same shares. Nothing is allocated per
 * product: the workers spin briefly between the products of one forward, then park until the next forward (the
 * host's decode runs in between, on the same cores). {@link #shutdown()} ends the workers; {@link MlpMemory}
 * calls it through a cleaner when the memory is no longer reachable.
 */
final class RowSplitter {

    /** Spin-waits before parking: long enough to bridge the norm/activation between two products, short beside a host decode. */
    private static final int SPINS = 1 << 13;

    private final int parts;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int generation;
    private volatile boolean stopped;
    private volatile Throwable failure;
    private volatile Thread caller;
    // The current product, written before the volatile generation write that starts it, read after reading it.
    private Matrix matrix;
    private float[][] in;
    private float[][] out;
    private int batch;
    private boolean vector;
    private final Thread[] workers;

    RowSplitter(int threads, String name) {
        parts = threads;
        workers = new Thread[threads - 1];
        for (int p = 1; p < threads; p++) {
            int part = p;
            workers[p - 1] = Thread.ofPlatform().daemon().name(name + "-" + p).start(() -> work(part));
        }
    }

    /**
     * {@code y[b] = m·x[b]} for {@code b < rows}, the matrix's rows split across the threads, with the vector kernel
     * when {@code vectorKernel}; one caller at a time.
     */
    void apply(Matrix m, float[][] x, float[][] y, int rows, boolean vectorKernel) {
        if (stopped) {
            throw new IllegalStateException("the MLP memory's worker threads were shut down");
        }
        matrix = m;
        in = x;
        out = y;
        batch = rows;
        vector = vectorKernel;
        caller = Thread.currentThread();
        pending.set(parts - 1);
        generation++; // the only writer: the one caller
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        m.applyBatch(x, y, rows, 0, bound(m.rows(), 1), vectorKernel);
        for (int spins = 0; pending.get() != 0; spins++) {
            if (spins < SPINS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        matrix = null; // keep no weights or buffers reachable from the workers between products
        in = null;
        out = null;
        Throwable t = failure;
        if (t != null) {
            failure = null;
            throw new IllegalStateException("MLP memory worker failed: " + t, t);
        }
    }

    /** First row of share {@code part}. */
    private int bound(int rows, int part) {
        return (int) ((long) rows * part / parts);
    }

    private void work(int part) {
        int seen = 0;
        while (true) {
            int g;
            for (int spins = 0; (g = generation) == seen && !stopped; spins++) {
                if (spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (stopped) {
                return;
            }
            seen = g;
            Matrix m = matrix;
            try {
                m.applyBatch(in, out, batch, bound(m.rows(), part), bound(m.rows(), part + 1), vector);
            } catch (Throwable t) {
                failure = t;
            }
            if (pending.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
        }
    }

    /** Ends the worker threads. */
    void shutdown() {
        stopped = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}

package dev.memdec.plugin.parallel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed team of threads for the data-parallel parts of a decoding step (the MLP memory's matrix products, the
 * mixing passes over the vocabulary): {@link #run} hands part {@code p} of a task to each of {@code size() - 1} daemon
 * workers, runs part 0 on the calling thread and returns when every part is done. Nothing is allocated per run. Between
 * runs the workers spin briefly (long enough to bridge two passes of one step), then park until the next run, so they
 * leave the cores to llama.cpp's own threads while the models decode. One caller at a time.
 */
public final class WorkerTeam implements AutoCloseable {

    /** Spin-waits before parking: enough to bridge two runs of one step, short beside a model's decode. */
    private static final int SPINS = 1 << 13;

    private final int size;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int generation;
    private volatile boolean stopped;
    private volatile Throwable failure;
    private volatile Thread caller;
    /** The current task: written before the volatile generation write that starts a run, read after reading it. */
    private IntConsumer task;

    /** A team of {@code threads} threads in all: the caller and {@code threads - 1} workers named {@code name-p}. */
    public WorkerTeam(int threads, String name) {
        if (threads < 1) {
            throw new IllegalArgumentException("a worker team needs at least one thread, got " + threads);
        }
        size = threads;
        workers = new Thread[threads - 1];
        for (int p = 1; p < threads; p++) {
            int part = p;
            workers[p - 1] = Thread.ofPlatform().daemon().name(name + "-" + p).start(() -> work(part));
        }
    }

    /** Threads in the team, the caller included: the number of parts of a run. */
    public int size() {
        return size;
    }

    /**
     * Runs {@code part.accept(p)} for every {@code p} in {@code [0, size())}, part 0 on the calling thread, and returns
     * when all are done; a failure of any part is rethrown here.
     */
    public void run(IntConsumer part) {
        if (stopped) {
            throw new IllegalStateException("the worker team was closed");
        }
        task = part;
        caller = Thread.currentThread();
        pending.set(size - 1);
        generation++; // the only writer: the one caller
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        Throwable own = null;
        try {
            part.accept(0);
        } catch (Throwable t) {
            own = t;
        }
        for (int spins = 0; pending.get() != 0; spins++) {
            if (spins < SPINS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        task = null; // keep nothing of the caller's reachable from the workers between runs
        Throwable t = failure;
        failure = null;
        if (own != null) {
            throwUnchecked(own);
        }
        if (t != null) {
            throw new IllegalStateException("worker thread failed: " + t, t);
        }
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
            try {
                task.accept(part);
            } catch (Throwable t) {
                failure = t;
            }
            if (pending.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
        }
    }

    private static void throwUnchecked(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }

    /** Ends the worker threads; a later {@link #run} fails. */
    @Override
    public void close() {
        stopped = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}

package dev.memdec.plugin;

import dev.memdec.natives.llama.InferenceLock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one platform thread that runs every native llama.cpp call of the runtime, each task under the process-wide
 * {@link InferenceLock}.
 *
 * <p>Why one thread (shared/docs/parallel-decode.md): overlapping {@code llama_decode} calls corrupt logits in
 * b4916, and switching the calling thread leaves libgomp's idle team of the previous thread spinning on a core
 * (measured 40–55% slower host decodes). Virtual threads would be pinned by FFM downcalls anyway. A task holds
 * the lock for its whole duration, so a generation step (host decode, memory decode, sampling) is atomic.
 */
final class InferenceThread {

    private static final ExecutorService EXECUTOR = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "memdec-inference");
        t.setDaemon(true);
        return t;
    });
    private static volatile Thread thread;

    private InferenceThread() {
    }

    /**
     * Runs {@code task} on the inference thread under the inference lock and returns its result. Runtime
     * exceptions and errors pass through; an {@link IOException} arrives as an {@link UncheckedIOException}.
     */
    static <T> T call(Callable<T> task) {
        if (Thread.currentThread() == thread) {
            return runLocked(task);
        }
        Future<T> future = EXECUTOR.submit(() -> {
            thread = Thread.currentThread();
            return runLocked(task);
        });
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the inference thread", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause.getMessage(), cause);
        }
    }

    /** Runs {@code task} on the inference thread under the inference lock. */
    static void run(CheckedRunnable task) {
        call(() -> {
            task.run();
            return null;
        });
    }

    /** Whether the caller is the inference thread (tests assert that native work happens there). */
    static boolean isCurrent() {
        return Thread.currentThread() == thread;
    }

    private static <T> T runLocked(Callable<T> task) throws RuntimeException {
        ReentrantLock lock = InferenceLock.lock();
        lock.lock();
        try {
            return task.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /** A task without a result that may throw. */
    @FunctionalInterface
    interface CheckedRunnable {
        void run() throws Exception;
    }
}

package dev.memdec.trainer.stop;

import dev.memdec.plugin.stop.StoppedException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Turns SIGTERM / Ctrl-C into a request that long work stop at its next boundary (a training step, a decoded
 * window, a kNN chunk). Without it the JVM runs its exit while a worker is inside native code (a libtorch backward
 * pass, a llama.cpp decode, a FAISS search) and the native teardown crashes the process with SIGSEGV. The shutdown
 * hook sets the request and then holds the JVM's exit until the work {@linkplain #close() closes} this object,
 * which it does after it has saved its progress and released every native resource, or until {@code wait} has
 * passed. The process then exits with the signal's usual status (143 for SIGTERM, 130 for SIGINT) and a rerun
 * resumes where the work stopped.
 */
public final class GracefulStop implements BooleanSupplier, AutoCloseable {

    /** How long the JVM's exit waits by default: one training step, validation pass or kNN chunk, and a save. */
    public static final Duration WAIT = Duration.ofSeconds(120);
    /** The status {@link #run} returns for stopped work: SIGTERM's (the JVM exits with the signal's anyway). */
    public static final int EXIT_STOPPED = 143;

    private final AtomicBoolean requested = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;

    private GracefulStop(String what, String boundary, Duration wait) {
        this.hook = new Thread(() -> {
            requested.set(true);
            System.err.println("\nmemdec: stop requested; " + what + " stops at the next " + boundary
                    + " boundary and keeps its progress (waiting up to " + wait.toSeconds() + " s)");
            try {
                if (!finished.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                    System.err.println("memdec: " + what + " did not stop within " + wait.toSeconds()
                            + " s; exiting, the last saved progress is kept");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "memdec-graceful-stop");
    }

    /**
     * Registers the shutdown hook.
     *
     * @param what     names the work in the messages, e.g. "training"
     * @param boundary where the work checks for a stop, e.g. "step"
     * @param wait     how long the JVM's exit may wait for the work to reach the boundary and save its progress
     */
    public static GracefulStop install(String what, String boundary, Duration wait) {
        GracefulStop stop = new GracefulStop(what, boundary, wait);
        Runtime.getRuntime().addShutdownHook(stop.hook);
        return stop;
    }

    /** Work that checks {@code stop} at its boundaries and throws {@link StoppedException} when it is true. */
    @FunctionalInterface
    public interface Work {
        /** @return the command's exit status */
        int run(BooleanSupplier stop) throws Exception;
    }

    /**
     * Runs {@code work} under a stop request installed for its duration (see {@link #install}). Work that ends
     * with a {@link StoppedException} has its message printed to stderr, before the held exit is let go, and
     * {@link #EXIT_STOPPED} returned.
     */
    public static int run(String what, String boundary, Duration wait, Work work) throws Exception {
        try (GracefulStop stop = install(what, boundary, wait)) {
            try {
                return work.run(stop);
            } catch (StoppedException e) {
                System.err.println("memdec: " + what + " " + e.getMessage());
                System.err.flush();
                return EXIT_STOPPED;
            }
        }
    }

    /** Whether a stop was requested. */
    @Override
    public boolean getAsBoolean() {
        return requested.get();
    }

    /** The work is done with native code: lets a pending exit go on, or unregisters the hook. */
    @Override
    public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running: it returns now that the latch is open.
        }
    }
}

package dev.memdec.trainer.train;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Turns SIGTERM / Ctrl-C into a request that training stop at the next step boundary. Without it the JVM runs its
 * exit while the training thread is inside libtorch (a backward pass, say) and libtorch's teardown crashes the
 * process with SIGSEGV. The shutdown hook sets the request and then holds the JVM's exit until the training code
 * {@linkplain #close() closes} this object, which it does after the run has written its checkpoint and released
 * every tensor, or until {@code wait} has passed. The process then exits with the signal's usual status (143 for
 * SIGTERM, 130 for SIGINT) and a rerun resumes from the checkpoint.
 */
public final class GracefulStop implements BooleanSupplier, AutoCloseable {

    private final AtomicBoolean requested = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;

    private GracefulStop(String what, Duration wait) {
        this.hook = new Thread(() -> {
            requested.set(true);
            System.err.println("\nmemdec: stop requested; " + what + " stops at the next step boundary and writes a "
                    + "checkpoint (waiting up to " + wait.toSeconds() + " s)");
            try {
                if (!finished.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                    System.err.println("memdec: " + what + " did not stop within " + wait.toSeconds()
                            + " s; exiting, the last complete checkpoint is kept");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "memdec-graceful-stop");
    }

    /**
     * Registers the shutdown hook.
     *
     * @param what names the work in the messages, e.g. "training"
     * @param wait how long the JVM's exit may wait for the current step (and a validation pass or checkpoint)
     */
    public static GracefulStop install(String what, Duration wait) {
        GracefulStop stop = new GracefulStop(what, wait);
        Runtime.getRuntime().addShutdownHook(stop.hook);
        return stop;
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

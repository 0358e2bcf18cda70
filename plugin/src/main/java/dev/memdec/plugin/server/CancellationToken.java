package dev.memdec.plugin.server;

/** Set once by whoever gives up on a request (client gone, timeout, stop string); read by the generating thread. */
public final class CancellationToken {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}

package dev.memdec.plugin.server;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The serving side's handle on a submitted request: read events in order, cancel at any time. Events are few
 * (at most max_tokens + 2), so the queue needs no bound.
 */
public final class GenerationHandle {
    private final SlotRequest request;
    private final CancellationToken cancellation = new CancellationToken();
    private final BlockingQueue<GenerationEvent> events = new LinkedBlockingQueue<>();
    private final Runnable onCancel;

    GenerationHandle(SlotRequest request, Runnable onCancel) {
        this.request = request;
        this.onCancel = onCancel;
    }

    public SlotRequest request() {
        return request;
    }

    CancellationToken cancellation() {
        return cancellation;
    }

    void post(GenerationEvent event) {
        events.add(event);
    }

    /** The next event, or null when none arrived within the wait. */
    public GenerationEvent poll(long timeout, TimeUnit unit) throws InterruptedException {
        return events.poll(timeout, unit);
    }

    /** Stops the generation soon (within one decode step) and frees its slot. Idempotent. */
    public void cancel() {
        if (!cancellation.isCancelled()) {
            cancellation.cancel();
            onCancel.run();
        }
    }

    public boolean isCancelled() {
        return cancellation.isCancelled();
    }
}

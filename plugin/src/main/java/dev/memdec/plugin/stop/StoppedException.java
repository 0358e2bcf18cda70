package dev.memdec.plugin.stop;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Ends long work at a boundary (a training step, a decoded window, a kNN chunk) once a {@link GracefulStop} was
 * requested. Everything completed before the boundary is on disk (checkpointed, or written to a temp file and
 * renamed), so the same command run again resumes there; unwinding the stack closes the native resources.
 */
public final class StoppedException extends RuntimeException {

    /** @param where where the work stopped, e.g. "after window 12 of 40" */
    public StoppedException(String where) {
        super("stopped on request " + where + "; run the same command again to resume");
    }

    /**
     * Throws when {@code stop} is true; the description is built only then, so the check costs one volatile read.
     */
    public static void check(BooleanSupplier stop, Supplier<String> where) {
        if (stop.getAsBoolean()) {
            throw new StoppedException(where.get());
        }
    }
}

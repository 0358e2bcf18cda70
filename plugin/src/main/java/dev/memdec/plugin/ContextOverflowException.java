package dev.memdec.plugin;

/**
 * Input that does not fit the context. Thrown before either model decodes anything, so the host's and the
 * memory's caches stay in step.
 */
public final class ContextOverflowException extends IllegalArgumentException {

    public ContextOverflowException(int cached, int adding, int nCtx) {
        super("context overflow: " + cached + " cached + " + adding + " new tokens exceed the context of " + nCtx
                + " tokens (raise --ctx, up to the model's training context, or shorten the input)");
    }
}

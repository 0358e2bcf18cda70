package dev.memdec.plugin;

/** Why a generation ended. */
public enum FinishReason {
    /** The model produced an end-of-generation token (EOS, EOT). */
    END_OF_TEXT,
    /** A stop string appeared. */
    STOP,
    /** The requested number of tokens was generated. */
    LENGTH,
    /** The context is full; the caches were left consistent (no shifting). */
    CONTEXT_FULL,
    /** The caller cancelled. */
    CANCELLED;

    /** Lower-case name for JSON output. */
    public String jsonName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

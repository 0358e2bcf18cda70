package dev.memdec.plugin;

/** A memory whose tokenizer differs from its host's; the message names each difference. */
public final class IncompatibleMemoryException extends IllegalArgumentException {
    public IncompatibleMemoryException(String message) {
        super(message);
    }
}

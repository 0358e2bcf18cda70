package dev.memdec.plugin.server;

import java.util.Iterator;

/** Tokens sampled one {@link #next()} at a time; each call runs (at most) one decode step. */
public interface TokenStream extends Iterator<TokenEvent>, AutoCloseable {

    /** How many leading prompt tokens were already in the slot's cache and were not decoded again. */
    int cachedPromptTokens();

    /** Why the stream ended, once {@link #hasNext()} returned false. */
    StopReason stopReason();

    /** Leaves the slot's cache holding the prompt and the tokens sampled so far. */
    @Override
    void close();

    /** Why a stream stopped producing tokens. */
    enum StopReason {
        /** The model sampled an end-of-generation token (reported as the last event, never as text). */
        END_OF_GENERATION,
        /** The slot's context is full. */
        CONTEXT_FULL,
        /** The cancellation token was set. */
        CANCELLED
    }
}

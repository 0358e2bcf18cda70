package dev.memdec.plugin.server;

/** What the inference thread tells the thread that serves a request. The last event is Finished or Failed. */
public sealed interface GenerationEvent {

    /** The request got a slot and its prompt was decoded. */
    record Started(int promptTokens, int cachedPromptTokens) implements GenerationEvent {}

    /** A sampled token. */
    record Token(TokenEvent token) implements GenerationEvent {}

    /** Generation ended normally. */
    record Finished(FinishReason reason) implements GenerationEvent {}

    /** Generation could not start or broke; the slot was cleared. */
    record Failed(RuntimeException error) implements GenerationEvent {}

    /** Why a generation ended. */
    enum FinishReason {
        /** End-of-generation token (or, decided by the caller, a stop string). */
        STOP,
        /** max_tokens reached or the context is full. */
        LENGTH,
        /** The caller cancelled (client gone, stop string matched). */
        CANCELLED,
        /** The request's deadline passed, in the queue or while generating. */
        TIMEOUT
    }
}

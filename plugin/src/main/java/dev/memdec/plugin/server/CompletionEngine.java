package dev.memdec.plugin.server;

import java.util.List;
import java.util.Optional;

/**
 * What the HTTP server and the terminal chat need from the runtime: one host model, zero or more memories
 * loaded by name, a tokenizer, and generation slots that each own a KV cache.
 *
 * <p>Threading: {@link #openSlot()} and everything on {@link EngineSlot} / {@link TokenStream} are called from
 * one platform thread only (the server's inference thread; FFM downcalls pin virtual threads). {@link #tokenize}
 * and {@link #tokenBytes} may be called from any thread.
 */
public interface CompletionEngine extends AutoCloseable {

    /** The name clients see in {@code /v1/models} and in every response's {@code model} field. */
    String modelId();

    /** Names of the loaded memories, in load order; the first is the default. Empty when none is loaded. */
    List<String> memoryNames();

    /** Number of tokens in the vocabulary; token ids are in [0, vocabSize). */
    int vocabSize();

    /** Whether {@link TokenEvent}s carry log-probabilities when asked (else requests for logprobs get 400). */
    boolean supportsLogprobs();

    /** Tokens one slot's context holds (prompt plus generated). */
    int contextLength();

    /** Tokenizes text; {@code addSpecial} adds BOS where the vocabulary asks for it. Special-token text is parsed. */
    int[] tokenize(String text, boolean addSpecial);

    /** The raw bytes a token stands for; they may be a partial UTF-8 sequence (byte-level BPE). */
    byte[] tokenBytes(int token);

    /** The GGUF's {@code tokenizer.chat_template}, if it has one. */
    Optional<String> chatTemplate();

    /** Text of the BOS token, for chat templates ({@code bos_token}). */
    String bosText();

    /** Text of the EOS token, for chat templates ({@code eos_token}). */
    String eosText();

    /** Opens a generation slot with its own KV cache. Called on the inference thread. */
    EngineSlot openSlot();

    @Override
    void close();
}

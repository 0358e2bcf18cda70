package dev.memdec.plugin;

import java.util.Optional;

/**
 * One generated token and the text it makes visible. The text can be empty (the token is part of a multi-byte
 * character, or might start a stop string) and can carry held-back text of earlier tokens.
 *
 * @param id       the token id
 * @param text     text to append to the output now
 * @param logprobs its log-probability and the top alternatives, when the request asked for them
 */
public record GeneratedToken(int id, String text, Optional<TokenLogprobs> logprobs) {

    public GeneratedToken {
        if (text == null || logprobs == null) {
            throw new IllegalArgumentException("text and logprobs must not be null");
        }
    }

    /** A token without log-probabilities. */
    public GeneratedToken(int id, String text) {
        this(id, text, Optional.empty());
    }
}

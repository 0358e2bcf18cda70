package dev.memdec.plugin.server;

import java.util.List;

/**
 * One sampled token.
 *
 * @param token         the token id
 * @param endOfGeneration true for an end-of-generation token (EOS, EOT): it ends the answer and carries no text
 * @param logprob       natural log of its probability in the distribution it was sampled from (the mix, when a
 *                      memory is enabled), before temperature and top-p; NaN when not requested
 * @param topLogprobs   the most likely tokens of that distribution, most likely first, as many as requested
 */
public record TokenEvent(int token, boolean endOfGeneration, double logprob, List<TokenLogprob> topLogprobs) {
    public TokenEvent {
        topLogprobs = List.copyOf(topLogprobs);
    }

    /** A candidate token and its log-probability. */
    public record TokenLogprob(int token, double logprob) {}
}

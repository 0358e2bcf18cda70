package dev.memdec.plugin;

import java.util.List;

/**
 * A finished generation.
 *
 * @param text     the generated text (without the prompt, cut before a stop string)
 * @param tokens   the generated tokens' pieces, one per token
 * @param tokenIds the generated token ids (an end-of-text token included when it ended the generation)
 * @param finish   why it ended
 * @param timings  where the time went
 */
public record GenerationResult(String text, List<String> tokens, int[] tokenIds, FinishReason finish,
        Timings timings) {
}

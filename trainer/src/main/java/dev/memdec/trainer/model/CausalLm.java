package dev.memdec.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.core.Linear;

/**
 * A causal token LM (GPT-2, llama-shaped): a {@link TrainableModel} whose scored logits are its next-token logits
 * at the scored positions. A frozen host of a joint perplexity is one of these.
 */
public interface CausalLm extends TrainableModel {

    /**
     * Final hidden states [B, T, width] (after the output norm) for token ids [B, T] (INT64). Intermediates live in
     * the manager of {@code tokens}, so closing that manager frees them.
     */
    NDArray hidden(NDArray tokens);

    /** Next-token logits [B, T, vocab] for token ids [B, T] (INT64): the head on {@link #hidden}. */
    default NDArray forward(NDArray tokens) {
        return Linear.linear(hidden(tokens), outputWeight()).singletonOrThrow();
    }

    /**
     * The hidden states at the scored positions only, so the head runs on the scored rows and nothing of size
     * [B·T, vocab] is made; a token LM has no use for {@code keys}.
     */
    @Override
    default NDArray scoredHidden(NDArray tokens, NDArray rows, NDArray keys) {
        NDArray h = hidden(tokens);
        return h.reshape(-1, h.getShape().get(2)).get(new NDIndex("{}", rows));
    }
}

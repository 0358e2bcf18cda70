package dev.memdec.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/**
 * A causal token LM (GPT-2, llama-shaped): a {@link TrainableModel} whose scored logits are its next-token logits
 * at the scored positions. A frozen host of a joint perplexity is one of these.
 */
public interface CausalLm extends TrainableModel {

    /**
     * Next-token logits [B, T, vocab] for token ids [B, T] (INT64). Intermediates live in the manager of
     * {@code tokens}, so closing that manager frees them.
     */
    NDArray forward(NDArray tokens);

    /** The logits of {@link #forward} at the scored positions; a token LM has no use for {@code keys}. */
    @Override
    default NDArray scoredLogits(NDArray tokens, NDArray rows, NDArray keys) {
        return forward(tokens).reshape(-1, spec().vocab()).get(new NDIndex("{}", rows));
    }
}

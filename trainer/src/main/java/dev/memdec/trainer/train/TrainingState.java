package dev.memdec.trainer.train;

import dev.memdec.converter.gpt2.Gpt2Config;
import java.util.List;
import java.util.Map;

/**
 * Everything about a run besides tensors, saved as {@code state.json} in each checkpoint: what was trained
 * (shape, options, data), provenance for the exported GGUF, how far it got, and the loss history for plots.
 *
 * @param format   checkpoint format version
 * @param metadata provenance copied into the exported GGUF's memdec.* keys (tokenizer, host, corpus hash)
 * @param step     optimizer steps done
 * @param steps    one entry per step done
 * @param epochs   one entry per finished epoch
 */
public record TrainingState(int format, Gpt2Config shape, TrainingOptions options, String data,
                            Map<String, String> metadata, long step, List<StepLoss> steps, List<EpochResult> epochs) {

    public static final int FORMAT = 1;

    /** Loss terms of one step (kl is NaN when β = 0), its input tokens and its wall time. */
    public record StepLoss(long step, float loss, float kl, float ce, long tokens, double seconds) {
    }

    /** Validation at the end of an epoch; jointPerplexity is NaN without a host. */
    public record EpochResult(int epoch, long step, double memoryPerplexity, double jointPerplexity, double tokensPerSecond) {
    }
}

package dev.memdec.trainer.train;

import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import java.util.List;
import java.util.Map;

/**
 * Everything about a run besides tensors, saved as {@code state.json} in each checkpoint: what was trained
 * (shape, options, data), provenance for the exported GGUF, how far it got, and the loss history for plots.
 * A run trains either a GPT-2 Memory Decoder ({@code shape}) or an MLP memory ({@code mlp}); the other is null.
 *
 * @param format   checkpoint format version
 * @param shape    the Memory Decoder's shape, null for an MLP memory
 * @param metadata provenance copied into the exported GGUF's memdec.* keys (tokenizer, host, corpus hash)
 * @param step     optimizer steps done
 * @param steps    one entry per step done
 * @param epochs   one entry per finished epoch
 */
public record TrainingState(int format, Gpt2Config shape, TrainingOptions options, String data,
                            Map<String, String> metadata, long step, List<StepLoss> steps, List<EpochResult> epochs,
                            MlpMemoryConfig mlp) {

    public static final int FORMAT = 1;

    /** The state of a Memory Decoder run. */
    public TrainingState(int format, Gpt2Config shape, TrainingOptions options, String data, Map<String, String> metadata,
                         long step, List<StepLoss> steps, List<EpochResult> epochs) {
        this(format, shape, options, data, metadata, step, steps, epochs, null);
    }

    /**
     * The provenance an exported GGUF carries: {@link #metadata()} without the tokenizer hash, which each format
     * writes as a key of its own.
     */
    public Map<String, String> exportedMetadata() {
        Map<String, String> m = new java.util.LinkedHashMap<>(metadata);
        m.remove(dev.memdec.converter.gguf.GgufKeys.TOKENIZER_SHA256);
        return m;
    }

    /** Float parameters of the trained model. */
    public long parameterCount() {
        return mlp != null ? mlp.parameterCount() : shape.parameterCount();
    }

    /** The trained model's shape in a few words, e.g. {@code 4x256x4} or {@code mlp gpt2 2x64}. */
    public String describeShape() {
        return mlp != null ? "mlp " + mlp.flavour().ggufName() + " " + mlp.blocks() + "x" + mlp.width()
                : shape.layers() + "x" + shape.embd() + "x" + shape.heads();
    }

    /** Loss terms of one step (kl is NaN when β = 0), its input tokens and its wall time. */
    public record StepLoss(long step, float loss, float kl, float ce, long tokens, double seconds) {
    }

    /** Validation at the end of an epoch; jointPerplexity is NaN without a host. */
    public record EpochResult(int epoch, long step, double memoryPerplexity, double jointPerplexity, double tokensPerSecond) {
    }
}

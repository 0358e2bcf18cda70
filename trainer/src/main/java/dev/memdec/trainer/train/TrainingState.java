package dev.memdec.trainer.train;

import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.trainer.model.Gpt2Lm;
import dev.memdec.trainer.model.LmConfig;
import dev.memdec.trainer.model.MlpLm;
import dev.memdec.trainer.model.llama.RopeLmConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Everything about a run besides tensors, saved as {@code state.json} in each checkpoint: what was trained
 * (shape, options, data), provenance for the exported GGUF, how far it got, and the loss history for plots.
 * The model's shape is in the one field of its family; the others are null.
 *
 * @param format   checkpoint format version
 * @param shape    the model's shape when it is a GPT-2, else null
 * @param rope     the model's shape when it is llama-shaped (llama, qwen2, qwen3), else null
 * @param mlp      the model's shape when it is an MLP memory, else null
 * @param metadata provenance copied into the exported GGUF's memdec.* keys (tokenizer, host, corpus hash)
 * @param step     optimizer steps done
 * @param steps    one entry per step done
 * @param epochs   one entry per finished epoch
 */
public record TrainingState(int format, Gpt2Config shape, RopeLmConfig rope, MlpMemoryConfig mlp, TrainingOptions options,
                            String data, Map<String, String> metadata, long step, List<StepLoss> steps,
                            List<EpochResult> epochs) {

    public static final int FORMAT = 1;

    /** The state of a run of {@code model}: its shape goes into the field of its family. */
    public static TrainingState of(LmConfig model, TrainingOptions options, String data, Map<String, String> metadata,
                                   long step, List<StepLoss> steps, List<EpochResult> epochs) {
        Gpt2Config gpt2 = model instanceof Gpt2Lm.Spec s ? s.config() : null;
        RopeLmConfig rope = model instanceof RopeLmConfig r ? r : null;
        MlpMemoryConfig mlp = model instanceof MlpLm.Spec m ? m.config() : null;
        if (gpt2 == null && rope == null && mlp == null) {
            throw new IllegalArgumentException("no checkpoint field for a " + model.architecture() + " model");
        }
        return new TrainingState(FORMAT, gpt2, rope, mlp, options, data, metadata, step, steps, epochs);
    }

    /** The model's shape, whichever family it is; null unless exactly one family's field is set (a malformed state). */
    public LmConfig model() {
        List<LmConfig> set = Stream.<LmConfig>of(shape == null ? null : new Gpt2Lm.Spec(shape), rope,
                mlp == null ? null : new MlpLm.Spec(mlp)).filter(Objects::nonNull).toList();
        return set.size() == 1 ? set.get(0) : null;
    }

    /** The name of the field {@link #model()} comes from, for messages about a state file. */
    public String modelField() {
        return shape != null ? "shape" : rope != null ? "rope" : "mlp";
    }

    /**
     * The provenance an exported GGUF carries: {@link #metadata()} without the tokenizer hash, which each format
     * writes as a key of its own.
     */
    public Map<String, String> exportedMetadata() {
        Map<String, String> m = new LinkedHashMap<>(metadata);
        m.remove(GgufKeys.TOKENIZER_SHA256);
        return m;
    }

    /** Loss terms of one step (kl is NaN when β = 0), its input tokens and its wall time. */
    public record StepLoss(long step, float loss, float kl, float ce, long tokens, double seconds) {
    }

    /** Validation at the end of an epoch; jointPerplexity is NaN without a host. */
    public record EpochResult(int epoch, long step, double memoryPerplexity, double jointPerplexity, double tokensPerSecond) {
    }
}

package dev.memdec.trainer.model.llama;

import ai.djl.ndarray.NDManager;
import dev.memdec.converter.family.DecoderFamilies;
import dev.memdec.converter.family.DecoderFamily;
import dev.memdec.converter.family.DecoderGgufWriter;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.family.RopeStyle;
import dev.memdec.converter.family.TensorSpec;
import dev.memdec.trainer.model.LmConfig;
import dev.memdec.trainer.model.ModelTensors;
import dev.memdec.trainer.model.TensorSource;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A llama-shaped decoder the trainer's {@link RopeLm} runs: a converter family (its tensor list, shape rules and
 * llama.cpp keys live in {@code dev.memdec.converter.family}) with a shape, plus Llama-3 rope scaling.
 *
 * @param architecture    {@code general.architecture}: llama, qwen2 or qwen3
 * @param decoder         the shape, checked by the family
 * @param ropeFreqFactors {@code rope_freqs.weight}: per rotary pair, the divisor of its base frequency (Llama-3 rope
 *                        scaling, llama only); empty for none
 */
public record RopeLmConfig(String architecture, RopeDecoderConfig decoder, List<Float> ropeFreqFactors)
        implements LmConfig {

    /** The families whose whole graph {@link RopeLm} computes (gemma3 and phi3 differ beyond its switches). */
    public static final Set<String> TRAINABLE = Set.of("llama", "qwen2", "qwen3");
    public static final String ROPE_FREQS = DecoderGgufWriter.ROPE_FREQS;

    public RopeLmConfig {
        Objects.requireNonNull(decoder, "decoder");
        ropeFreqFactors = ropeFreqFactors == null ? List.of() : List.copyOf(ropeFreqFactors);
        DecoderFamily family = familyOf(architecture);
        try {
            family.check(decoder);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(architecture + " " + e.getMessage(), e);
        }
        if (!ropeFreqFactors.isEmpty()) {
            if (!architecture.equals("llama")) {
                throw new IllegalArgumentException(ROPE_FREQS + ": Llama-3 rope scaling is a llama feature, not "
                        + architecture + "'s");
            }
            if (ropeFreqFactors.size() != decoder.headDim() / 2) {
                throw new IllegalArgumentException(ROPE_FREQS + ": " + ropeFreqFactors.size()
                        + " factors, expected one per rotary pair (" + decoder.headDim() / 2 + ")");
            }
            for (Float f : ropeFreqFactors) {
                if (f == null || !(f > 0) || !Float.isFinite(f)) {
                    throw new IllegalArgumentException(ROPE_FREQS + ": factors must be positive and finite, got " + f);
                }
            }
        }
    }

    private static DecoderFamily familyOf(String architecture) {
        if (architecture == null || !TRAINABLE.contains(architecture)) {
            throw new IllegalArgumentException("general.architecture '" + architecture + "' is not one the trainer "
                    + "can train (llama, qwen2, qwen3; gpt2 through --shape LxDxH)");
        }
        return DecoderFamilies.byName(architecture).orElseThrow();
    }

    /**
     * A fresh memory of {@code layers x embd x heads} with {@code kvHeads} KV heads: head dimension embd/heads,
     * SwiGLU width 8/3·embd rounded up to a multiple of 32 (as Llama's), tied output.
     *
     * @throws IllegalArgumentException naming the field that does not fit
     */
    public static RopeLmConfig fresh(String architecture, int layers, int embd, int heads, int kvHeads, int ctx, int vocab) {
        familyOf(architecture);
        int ff = Math.max(32, (8 * embd / 3 + 31) / 32 * 32);
        RopeDecoderConfig c = RopeDecoderConfig.of(layers, embd, heads, kvHeads, ff, vocab, ctx).withTiedOutput(true);
        return new RopeLmConfig(architecture, c, List.of());
    }

    public DecoderFamily family() {
        return familyOf(architecture);
    }

    public boolean neoxRope() {
        return family().ropeStyle() == RopeStyle.NEOX;
    }

    @Override
    public int vocab() {
        return decoder.vocab();
    }

    @Override
    public int ctx() {
        return decoder.ctx();
    }

    @Override
    public String shapeText() {
        return decoder.layers() + "x" + decoder.embd() + "x" + decoder.heads() + "x" + decoder.kvHeads();
    }

    /** The rope divisors as an array (all 1 without rope scaling). */
    public float[] ropeFreqFactorArray() {
        float[] out = new float[decoder.headDim() / 2];
        Arrays.fill(out, 1f);
        for (int i = 0; i < ropeFreqFactors.size(); i++) {
            out[i] = ropeFreqFactors.get(i);
        }
        return out;
    }

    /** The family's tensors (its GGUF list) with PyTorch shapes; {@code rope_freqs} is a constant, not trained. */
    @Override
    public Map<String, long[]> trainableTensors() {
        Map<String, long[]> t = new LinkedHashMap<>();
        for (TensorSpec s : family().tensors(decoder)) {
            t.put(s.name(), ModelTensors.torchShape(s.ne()));
        }
        return t;
    }

    @Override
    public long parameterCount() {
        long total = 0;
        for (TensorSpec s : family().tensors(decoder)) {
            total = Math.addExact(total, s.elementCount());
        }
        return total;
    }

    /** Llama's initialisation, seeded: the reference's ({@link ModelTensors#referenceInit}). */
    @Override
    public TensorSource randomInit(long seed) {
        return ModelTensors.referenceInit(seed, decoder.layers());
    }

    @Override
    public RopeLm create(NDManager parent, TensorSource source) {
        return RopeLm.create(parent, this, source);
    }
}

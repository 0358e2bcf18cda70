package dev.memdec.trainer.model.llama;

import ai.djl.ndarray.NDManager;
import dev.memdec.trainer.model.LmConfig;
import dev.memdec.trainer.model.TensorSource;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The shape of a llama-shaped decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU) in llama.cpp's terms.
 *
 * @param family          llama, qwen2 or qwen3
 * @param layers          {@code block_count}
 * @param embd            {@code embedding_length}
 * @param heads           {@code attention.head_count}
 * @param kvHeads         {@code attention.head_count_kv}; divides {@code heads}
 * @param headDim         {@code attention.key_length} (= value length = rope dimensions); even
 * @param ff              {@code feed_forward_length}
 * @param ctx             {@code context_length}
 * @param vocab           rows of {@code token_embd}
 * @param rmsEps          {@code attention.layer_norm_rms_epsilon}
 * @param ropeTheta       {@code rope.freq_base}
 * @param tied            no {@code output.weight}: the head is the token embedding
 * @param ropeFreqFactors {@code rope_freqs.weight}: per rotary pair, the divisor of its base frequency (Llama-3
 *                        rope scaling); empty for none
 */
public record RopeLmConfig(RopeFamily family, int layers, int embd, int heads, int kvHeads, int headDim, int ff,
                           int ctx, int vocab, float rmsEps, float ropeTheta, boolean tied,
                           List<Float> ropeFreqFactors) implements LmConfig {

    public static final float DEFAULT_RMS_EPS = 1e-5f;
    public static final float DEFAULT_ROPE_THETA = 10_000f;

    public RopeLmConfig {
        Objects.requireNonNull(family, "family");
        ropeFreqFactors = ropeFreqFactors == null ? List.of() : List.copyOf(ropeFreqFactors);
        String a = family.architecture() + ".";
        positive(a + "block_count", layers);
        positive(a + "embedding_length", embd);
        positive(a + "attention.head_count", heads);
        positive(a + "attention.head_count_kv", kvHeads);
        positive(a + "attention.key_length", headDim);
        positive(a + "feed_forward_length", ff);
        positive(a + "context_length", ctx);
        positive("vocab", vocab);
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(a + "attention.head_count_kv: " + kvHeads + " KV heads do not divide "
                    + heads + " query heads (grouped-query attention shares each KV head among heads/kv query heads)");
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException(a + "attention.key_length: head dimension " + headDim
                    + " is odd; rotary embeddings rotate pairs");
        }
        if (family == RopeFamily.QWEN2 && (long) heads * headDim != embd) {
            throw new IllegalArgumentException(a + "attention.key_length: qwen2 in llama.cpp needs heads x head dimension = "
                    + "embedding_length, got " + heads + " x " + headDim + " != " + embd);
        }
        if (!(rmsEps > 0) || !Float.isFinite(rmsEps)) {
            throw new IllegalArgumentException(a + "attention.layer_norm_rms_epsilon must be positive and finite, got " + rmsEps);
        }
        if (!(ropeTheta > 0) || !Float.isFinite(ropeTheta)) {
            throw new IllegalArgumentException(a + "rope.freq_base must be positive and finite, got " + ropeTheta);
        }
        if (!ropeFreqFactors.isEmpty()) {
            if (family != RopeFamily.LLAMA) {
                throw new IllegalArgumentException("rope_freqs.weight: Llama-3 rope scaling is a llama feature, not "
                        + family.architecture() + "'s");
            }
            if (ropeFreqFactors.size() != headDim / 2) {
                throw new IllegalArgumentException("rope_freqs.weight: " + ropeFreqFactors.size()
                        + " factors, expected one per rotary pair (" + headDim / 2 + ")");
            }
            for (Float f : ropeFreqFactors) {
                if (f == null || !(f > 0) || !Float.isFinite(f)) {
                    throw new IllegalArgumentException("rope_freqs.weight: factors must be positive and finite, got " + f);
                }
            }
        }
    }

    private static void positive(String field, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(field + " must be positive, got " + v);
        }
    }

    /**
     * A fresh memory of {@code layers x embd x heads} with {@code kvHeads} KV heads: head dimension embd/heads,
     * SwiGLU width of about 8/3·embd rounded up to a multiple of 32 (as Llama's), tied output.
     *
     * @throws IllegalArgumentException naming the field that does not fit
     */
    public static RopeLmConfig fresh(RopeFamily family, int layers, int embd, int heads, int kvHeads, int ctx, int vocab) {
        if (heads > 0 && embd % heads != 0) {
            throw new IllegalArgumentException(family.architecture() + ".embedding_length: " + embd
                    + " is not a multiple of the " + heads + " heads (head dimension = embd / heads)");
        }
        int ff = Math.max(32, (8 * embd / 3 + 31) / 32 * 32);
        return new RopeLmConfig(family, layers, embd, heads, kvHeads, heads > 0 ? embd / heads : 0, ff, ctx, vocab,
                DEFAULT_RMS_EPS, DEFAULT_ROPE_THETA, true, List.of());
    }

    /** The same shape with another vocabulary size (the host's tokenizer). */
    public RopeLmConfig withVocab(int newVocab) {
        return new RopeLmConfig(family, layers, embd, heads, kvHeads, headDim, ff, ctx, newVocab, rmsEps, ropeTheta,
                tied, ropeFreqFactors);
    }

    @Override
    public String architecture() {
        return family.architecture();
    }

    @Override
    public String shapeText() {
        return layers + "x" + embd + "x" + heads + "x" + kvHeads;
    }

    public int qRows() {
        return heads * headDim;
    }

    public int kvRows() {
        return kvHeads * headDim;
    }

    /** The rope divisors as an array (all 1 without rope scaling). */
    public float[] ropeFreqFactorArray() {
        float[] out = new float[headDim / 2];
        Arrays.fill(out, 1f);
        for (int i = 0; i < ropeFreqFactors.size(); i++) {
            out[i] = ropeFreqFactors.get(i);
        }
        return out;
    }

    public static String blk(int layer, String suffix) {
        return "blk." + layer + "." + suffix;
    }

    @Override
    public Map<String, long[]> trainableTensors() {
        Map<String, long[]> t = new LinkedHashMap<>();
        t.put("token_embd.weight", new long[] {vocab, embd});
        t.put("output_norm.weight", new long[] {embd});
        if (!tied) {
            t.put("output.weight", new long[] {vocab, embd});
        }
        for (int l = 0; l < layers; l++) {
            t.put(blk(l, "attn_norm.weight"), new long[] {embd});
            t.put(blk(l, "attn_q.weight"), new long[] {qRows(), embd});
            t.put(blk(l, "attn_k.weight"), new long[] {kvRows(), embd});
            t.put(blk(l, "attn_v.weight"), new long[] {kvRows(), embd});
            if (family.qkvBias()) {
                t.put(blk(l, "attn_q.bias"), new long[] {qRows()});
                t.put(blk(l, "attn_k.bias"), new long[] {kvRows()});
                t.put(blk(l, "attn_v.bias"), new long[] {kvRows()});
            }
            if (family.qkNorm()) {
                t.put(blk(l, "attn_q_norm.weight"), new long[] {headDim});
                t.put(blk(l, "attn_k_norm.weight"), new long[] {headDim});
            }
            t.put(blk(l, "attn_output.weight"), new long[] {embd, qRows()});
            t.put(blk(l, "ffn_norm.weight"), new long[] {embd});
            t.put(blk(l, "ffn_gate.weight"), new long[] {ff, embd});
            t.put(blk(l, "ffn_up.weight"), new long[] {ff, embd});
            t.put(blk(l, "ffn_down.weight"), new long[] {embd, ff});
        }
        return t;
    }

    @Override
    public long parameterCount() {
        long total = 0;
        for (long[] shape : trainableTensors().values()) {
            total = Math.addExact(total, Math.multiplyExact(shape[0], shape.length > 1 ? shape[1] : 1));
        }
        return total;
    }

    /**
     * Llama's initialisation, seeded: matrices N(0, 0.02), the residual outputs (attn_output, ffn_down)
     * N(0, 0.02/√(2·layers)), biases 0, norm gains 1.
     */
    @Override
    public TensorSource randomInit(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double residualStd = 0.02 / Math.sqrt(2.0 * layers);
        return (name, dims) -> {
            float[] v = new float[Math.toIntExact(LmConfig.count(dims))];
            if (name.endsWith("norm.weight")) {
                Arrays.fill(v, 1f);
            } else if (name.endsWith(".weight")) {
                double std = name.endsWith("attn_output.weight") || name.endsWith("ffn_down.weight") ? residualStd : 0.02;
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (random.nextGaussian() * std);
                }
            }
            return v;
        };
    }

    @Override
    public RopeLm create(NDManager parent, TensorSource source) {
        return RopeLm.create(parent, this, source);
    }
}

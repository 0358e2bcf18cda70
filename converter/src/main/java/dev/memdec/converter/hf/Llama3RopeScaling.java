package dev.memdec.converter.hf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Llama-3.1-style {@code rope_scaling: {"rope_type": "llama3", ...}}: HF rescales each rotary frequency by a
 * per-dimension factor (long wavelengths slowed by {@code factor}, short ones kept, a smooth ramp between).
 * llama.cpp takes the same information as the tensor {@code rope_freqs.weight} ({d/2} divisors of the base
 * frequencies), which convert_hf_to_gguf generates; this computes those divisors.
 *
 * @param factor                        slow-down of the long wavelengths
 * @param lowFreqFactor                 wavelengths above {@code originalContext / lowFreqFactor} are fully scaled
 * @param highFreqFactor                wavelengths below {@code originalContext / highFreqFactor} are kept
 * @param originalContext               {@code original_max_position_embeddings}
 */
public record Llama3RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, double originalContext) {

    /**
     * The scaling declared in config.json: empty for none (absent, null or {@code rope_type: "default"}); refuses
     * every other kind, which the converter cannot express in a llama.cpp GGUF for these families.
     */
    static Optional<Llama3RopeScaling> of(HfConfig config, HfArchitecture architecture) {
        Optional<JsonElement> raw = config.raw("rope_scaling");
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        Path file = config.file();
        if (!raw.get().isJsonObject()) {
            throw new IllegalArgumentException(file + ": rope_scaling is " + raw.get() + ", expected an object or null");
        }
        JsonObject s = raw.get().getAsJsonObject();
        JsonElement typeElement = s.has("rope_type") ? s.get("rope_type") : s.get("type");
        String type = typeElement == null || typeElement.isJsonNull() ? "" : typeElement.getAsString();
        if (type.equals("default")) {
            return Optional.empty();
        }
        if (!type.equals("llama3") || architecture != HfArchitecture.LLAMA) {
            throw new IllegalArgumentException(file + ": rope_scaling " + s + " is not supported for "
                    + architecture.hfClass() + " (only rope_type \"llama3\" for LlamaForCausalLM)");
        }
        Llama3RopeScaling scaling = new Llama3RopeScaling(number(file, s, "factor", null), number(file, s, "low_freq_factor", 1.0),
                number(file, s, "high_freq_factor", 4.0), number(file, s, "original_max_position_embeddings", 8192.0));
        if (!(scaling.factor > 0 && scaling.lowFreqFactor > 0 && scaling.highFreqFactor > scaling.lowFreqFactor
                && scaling.originalContext > 0)) {
            throw new IllegalArgumentException(file + ": rope_scaling " + s
                    + " needs factor > 0 and 0 < low_freq_factor < high_freq_factor");
        }
        return Optional.of(scaling);
    }

    private static double number(Path file, JsonObject s, String key, Double fallback) {
        JsonElement e = s.get(key);
        if (e == null || e.isJsonNull()) {
            if (fallback == null) {
                throw new IllegalArgumentException(file + ": rope_scaling lacks '" + key + "'");
            }
            return fallback;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException(file + ": rope_scaling." + key + " is " + e + ", expected a number");
        }
        return e.getAsDouble();
    }

    /**
     * The {@code rope_freqs.weight} values: for each pair i of a head of {@code headDim}, the divisor llama.cpp
     * applies to the base frequency {@code theta^(-2i/headDim)}.
     */
    public float[] frequencyDivisors(double theta, int headDim) {
        float[] out = new float[headDim / 2];
        double lowFreqWavelen = originalContext / lowFreqFactor;
        double highFreqWavelen = originalContext / highFreqFactor;
        for (int i = 0; i < out.length; i++) {
            double freq = 1.0 / Math.pow(theta, 2.0 * i / headDim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highFreqWavelen) {
                out[i] = 1f;
            } else if (wavelen > lowFreqWavelen) {
                out[i] = (float) factor;
            } else {
                double smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                out[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return out;
    }
}

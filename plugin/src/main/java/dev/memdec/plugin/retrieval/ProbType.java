package dev.memdec.plugin.retrieval;

import com.google.gson.annotations.SerializedName;

/** How kNN probabilities are stored: fp16 as in the reference (§5.4), or fp32 when that error matters. */
public enum ProbType {
    @SerializedName("f16") F16("f16", 2),
    @SerializedName("f32") F32("f32", 4);

    private final String cliName;
    private final int bytes;

    ProbType(String cliName, int bytes) {
        this.cliName = cliName;
        this.bytes = bytes;
    }

    public String cliName() {
        return cliName;
    }

    public int bytes() {
        return bytes;
    }

    /** The value this type stores for {@code p}. */
    public float round(double p) {
        return this == F16 ? Float.float16ToFloat(Float.floatToFloat16((float) p)) : (float) p;
    }

    public static ProbType fromCliName(String name) {
        for (ProbType t : values()) {
            if (t.cliName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("--probs '" + name + "': expected f16 or f32");
    }

    @Override
    public String toString() {
        return cliName;
    }
}

package dev.memdec.plugin.retrieval;

import com.google.gson.annotations.SerializedName;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The {@code --index} choice of {@code memdec knn}. */
public enum IndexType {
    /** Flat below {@link IndexPlan#AUTO_FLAT_BELOW} entries, IVF-PQ from there on. */
    @SerializedName("auto") AUTO("auto"),
    /** Exact search: squared L2 over every key. */
    @SerializedName("flat") FLAT("flat"),
    /** Inverted lists over a flat coarse quantizer, product-quantized residuals (the reference's index, §4.1). */
    @SerializedName("ivfpq") IVFPQ("ivfpq");

    private final String cliName;

    IndexType(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static IndexType fromCliName(String name) {
        for (IndexType t : values()) {
            if (t.cliName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("--index '" + name + "': expected one of "
                + Arrays.stream(values()).map(IndexType::cliName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return cliName;
    }
}

package dev.memdec.plugin.retrieval;

import com.google.gson.annotations.SerializedName;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Which hidden state of the host a datastore key is (reference-spec §3.1). */
public enum KeyType {
    /** Input of the last block's FFN, after its pre-FFN norm: the reference's {@code last_ffn_input}. */
    @SerializedName("ffn-input") FFN_INPUT("ffn-input"),
    /** The final hidden state after the output norm: a different key space, offered as an option. */
    @SerializedName("final") FINAL("final");

    private final String cliName;

    KeyType(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static KeyType fromCliName(String name) {
        for (KeyType t : values()) {
            if (t.cliName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("key type '" + name + "': expected one of "
                + Arrays.stream(values()).map(KeyType::cliName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return cliName;
    }
}

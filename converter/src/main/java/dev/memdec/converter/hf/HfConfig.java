package dev.memdec.converter.hf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.memdec.converter.io.TextFiles;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * An HF {@code config.json}. Typed getters fail with a message naming the file and the key, so a checkpoint
 * whose config lacks a hyper-parameter is refused before anything is written.
 */
public record HfConfig(Path file, JsonObject json) {

    public static final String FILE_NAME = "config.json";

    public static HfConfig read(Path checkpointDir) throws IOException {
        Path file = checkpointDir.resolve(FILE_NAME);
        try {
            JsonElement root = JsonParser.parseString(TextFiles.readUtf8(file));
            if (!root.isJsonObject()) {
                throw new IllegalArgumentException(file + ": expected a JSON object");
            }
            return new HfConfig(file, root.getAsJsonObject());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(checkpointDir + ": no " + FILE_NAME + " (not an HF checkpoint directory?)", e);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    /** {@code architectures[0]}, e.g. {@code "Qwen2ForCausalLM"}. */
    public String architecture() {
        JsonElement a = json.get("architectures");
        if (a == null || !a.isJsonArray() || a.getAsJsonArray().isEmpty() || !a.getAsJsonArray().get(0).isJsonPrimitive()) {
            throw new IllegalArgumentException(file + ": 'architectures' is missing or empty");
        }
        return a.getAsJsonArray().get(0).getAsString();
    }

    private Optional<JsonElement> value(String key) {
        JsonElement e = json.get(key);
        return e == null || e.isJsonNull() ? Optional.empty() : Optional.of(e);
    }

    /** A positive integer hyper-parameter. */
    public int positiveInt(String key) {
        return optionalInt(key).orElseThrow(() -> new IllegalArgumentException(file + ": missing integer '" + key + "'"));
    }

    /** A positive integer if the key is present (and not null). */
    public Optional<Integer> optionalInt(String key) {
        return value(key).map(e -> {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw new IllegalArgumentException(file + ": '" + key + "' is " + e + ", expected a positive integer");
            }
            double d = e.getAsDouble();
            if (d != Math.rint(d) || d < 1 || d > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(file + ": '" + key + "' is " + e + ", expected a positive integer");
            }
            return (int) d;
        });
    }

    /** An id-valued key (0 allowed), e.g. {@code bos_token_id}. */
    public Optional<Integer> optionalId(String key) {
        return value(key).filter(e -> e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()).map(e -> {
            try {
                return e.getAsBigDecimal().intValueExact();   // getAsInt would wrap 2^32 to 0, a valid id
            } catch (ArithmeticException | NumberFormatException notAnInt) {
                throw new IllegalArgumentException(file + ": '" + key + "' is " + e + ", expected a token id");
            }
        }).filter(i -> i >= 0);
    }

    public Optional<Double> optionalNumber(String key) {
        return value(key).map(e -> {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw new IllegalArgumentException(file + ": '" + key + "' is " + e + ", expected a number");
            }
            return e.getAsDouble();
        });
    }

    public double number(String key) {
        return optionalNumber(key).orElseThrow(() -> new IllegalArgumentException(file + ": missing number '" + key + "'"));
    }

    public Optional<Boolean> optionalBoolean(String key) {
        return value(key).map(e -> {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
                throw new IllegalArgumentException(file + ": '" + key + "' is " + e + ", expected true or false");
            }
            return e.getAsBoolean();
        });
    }

    /** The raw value of a key, for checks on structured entries such as {@code rope_scaling}. */
    public Optional<JsonElement> raw(String key) {
        return value(key);
    }
}

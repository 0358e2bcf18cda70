package dev.memdec.plugin;

import dev.memdec.converter.mlp.MlpMemoryGguf;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model's training context ({@code <arch>.context_length}), read with memdec's validating GGUF reader before
 * llama.cpp sees the file, and the rule every command's defaults follow: a default that would not fit the models'
 * training context is capped by it, while an explicit value that does not fit is left for the command to refuse.
 */
public final class TrainingContext {

    private TrainingContext() {
    }

    /**
     * The training context of {@code gguf}.
     *
     * @param flag the flag that named the file, for messages ("--host", "--ref", ...)
     * @throws IllegalArgumentException if the file is missing or unreadable, or has no context length
     * @throws IOException              if it is not valid GGUF
     */
    public static int of(Path gguf, String flag) throws IOException {
        if (!Files.isRegularFile(gguf) || !Files.isReadable(gguf)) {
            throw new IllegalArgumentException(flag + " file not found or not readable: " + gguf);
        }
        try (GgufFile file = GgufFile.open(gguf)) {
            if (MlpMemoryGguf.isMlpMemory(file)) {
                return Integer.MAX_VALUE;   // an MLP memory reads one hidden state at a time: no position limit
            }
            String key = file.architecture() + ".context_length";
            long trained = file.find(key).map(GgufValue::asLong).orElseThrow(() ->
                    new IllegalArgumentException(flag + " " + gguf + ": metadata key " + key + " is missing"));
            if (trained < 1 || trained > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(flag + " " + gguf + ": metadata key " + key + " is " + trained
                        + ", expected a positive int32");
            }
            return (int) trained;
        }
    }

    /** The smallest training context of the given files (null entries skipped: an absent optional model). */
    public static int min(Path first, String firstFlag, Path second, String secondFlag) throws IOException {
        int c = of(first, firstFlag);
        return second == null ? c : Math.min(c, of(second, secondFlag));
    }
}

package dev.memdec.plugin;

import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the runtime reads from a GGUF file with memdec's own validating reader before llama.cpp sees it. A
 * malformed file aborts the whole JVM inside llama.cpp, so {@link #validate} must pass first.
 *
 * @param path   the file
 * @param addEos {@code tokenizer.ggml.add_eos_token} (false when absent, as llama.cpp assumes for BPE)
 * @param sha256 {@code memdec.tokenizer_sha256} when present
 */
record ModelFile(Path path, boolean addEos, Optional<String> sha256) {

    /**
     * Validates {@code path} as GGUF.
     *
     * @param role "host" or "memory", for messages
     * @throws IllegalArgumentException if the file does not exist or is not a regular readable file
     * @throws IOException              if it is not valid GGUF (the message names the file, offset and field)
     */
    static ModelFile validate(Path path, String role) throws IOException {
        if (!Files.exists(path)) {
            throw new IllegalArgumentException(role + " model file not found: " + path);
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new IllegalArgumentException(role + " model is not a readable file: " + path);
        }
        try (GgufFile gguf = GgufFile.open(path)) {
            boolean addEos = gguf.find("tokenizer.ggml.add_eos_token").map(GgufValue::asBool).orElse(false);
            Optional<String> sha = gguf.find(TokenizerFacts.SHA256_KEY).map(GgufValue::asString);
            return new ModelFile(path, addEos, sha);
        }
    }
}

package dev.memdec.plugin;

import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufValue;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What the runtime reads from a GGUF file with memdec's own validating reader before llama.cpp sees it. A
 * malformed file aborts the whole JVM inside llama.cpp, so {@link #validate} must pass first.
 *
 * @param path           the file
 * @param tokenizerModel {@code tokenizer.ggml.model} ("gpt2", "llama", ...), empty string when absent
 * @param tokens         {@code tokenizer.ggml.tokens}: token texts by id (what llama.cpp's vocabulary holds)
 * @param addEos         {@code tokenizer.ggml.add_eos_token} (false when absent, as llama.cpp assumes for BPE)
 * @param sha256         {@code memdec.tokenizer_sha256} when present
 */
record ModelFile(Path path, String tokenizerModel, List<String> tokens, boolean addEos, Optional<String> sha256) {

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
            String model = gguf.find("tokenizer.ggml.model").map(GgufValue::asString).orElse("");
            List<String> tokens = gguf.find("tokenizer.ggml.tokens").map(GgufValue::asStringList).orElse(List.of());
            boolean addEos = gguf.find("tokenizer.ggml.add_eos_token").map(GgufValue::asBool).orElse(false);
            Optional<String> sha = gguf.find(TokenizerFacts.SHA256_KEY).map(GgufValue::asString);
            if (sha.isEmpty() && "gpt2".equals(model)) {
                sha = canonicalBpeHash(gguf);
            }
            return new ModelFile(path, model, tokens, addEos, sha);
        }
    }

    /**
     * The canonical hash of a BPE tokenizer from a file that does not carry {@value TokenizerFacts#SHA256_KEY}
     * (a GGUF made by other tools), so it can still be compared with a memory's; empty if the tokenizer is not
     * one {@link BpeVocabulary} can read.
     */
    private static Optional<String> canonicalBpeHash(GgufFile gguf) {
        try {
            return Optional.of(BpeVocabulary.readFrom(gguf).sha256());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}

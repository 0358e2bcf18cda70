package dev.memdec.plugin;

import dev.memdec.converter.family.gemma3.Gemma3Family;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufValue;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.natives.llama.RuntimeProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

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

    static ModelFile validate(Path path, String role) throws IOException {
        return validate(path, role, AvailableMemory.bytes());
    }

    /**
     * Validates {@code path} as GGUF.
     *
     * @param role      "host" or "memory", for messages
     * @param available memory the machine can give the weights; empty where unknown
     * @throws IllegalArgumentException if the file does not exist or is not a regular readable file, its
     *                                  architecture is not one the chosen llama.cpp runtime loads, or its weights exceed {@code available}
     * @throws IOException              if it is not valid GGUF (the message names the file, offset and field)
     */
    static ModelFile validate(Path path, String role, OptionalLong available) throws IOException {
        if (!Files.exists(path)) {
            throw new IllegalArgumentException(role + " model file not found: " + path);
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new IllegalArgumentException(role + " model is not a readable file: " + path);
        }
        try (GgufFile gguf = GgufFile.open(path)) {
            String architecture = gguf.architecture();
            // every architecture the chosen llama.cpp loads is accepted; any other is refused by name here
            RuntimeProfile profile = RuntimeProfile.selected();
            profile.checkArchitecture(architecture, role + " model " + path);
            checkGlobalLayer(gguf, profile, role, path);
            long weights = gguf.tensors().stream().mapToLong(t -> t.byteSize()).sum();
            if (available.isPresent() && weights > available.getAsLong()) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "%s model %s: its weights need %.2f GB but only %.2f GB of memory is available",
                        role, path, weights / 1e9, available.getAsLong() / 1e9));
            }
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
     * A gemma3 file needs a global-attention layer (every sixth): b4916 crashes the process on the first decode of
     * one with fewer layers ({@link Gemma3Family#MIN_LAYERS}); v0.5.0 runs it.
     */
    private static void checkGlobalLayer(GgufFile gguf, RuntimeProfile profile, String role, Path path) {
        if (profile == RuntimeProfile.B4916 && lacksGlobalLayer(gguf)) {
            throw new IllegalArgumentException(role + " model " + path + ": gemma3 with " + layers(gguf) + " layers has no "
                    + "global-attention layer (every sixth is one) and llama.cpp b4916 crashes on it; use --runtime v0.5.0");
        }
    }

    private static boolean lacksGlobalLayer(GgufFile gguf) {
        return gguf.architecture().equals(Gemma3Family.ARCH) && layers(gguf) < Gemma3Family.MIN_LAYERS;
    }

    private static long layers(GgufFile gguf) {
        return gguf.find(Gemma3Family.ARCH + ".block_count").map(GgufValue::asLong).orElse(0L);
    }

    /**
     * Lets the model files a command is about to load choose its llama.cpp build when nothing else has
     * ({@link RuntimeProfile#undecided()}): v0.5.0 when b4916 cannot run one of them, v0.5.0 can and is installed;
     * otherwise nothing changes (b4916, the default). Files that are missing, not valid GGUF, or of an architecture
     * neither build loads are passed over here: opening them says why.
     *
     * @return the line telling the user which build was chosen and why, when this chose one
     */
    static Optional<String> chooseRuntimeFor(List<Path> files) {
        if (!RuntimeProfile.undecided() || !RuntimeProfile.v050Installed()) {
            return Optional.empty();
        }
        for (Path path : files) {
            Optional<String> why = onlyV050Runs(path);
            if (why.isPresent()) {
                RuntimeProfile.choose(RuntimeProfile.V0_5_0);
                return Optional.of("running on llama.cpp v0.5.0: " + path + " is " + why.get()
                        + ", which b4916 does not run (--runtime b4916|v0.5.0 chooses)");
            }
        }
        return Optional.empty();
    }

    /** What in {@code path} llama.cpp v0.5.0 runs and b4916 does not, or empty. */
    private static Optional<String> onlyV050Runs(Path path) {
        if (!Files.isRegularFile(path)) {
            return Optional.empty();
        }
        try (GgufFile gguf = GgufFile.open(path)) {
            String architecture = gguf.architecture();
            if (!RuntimeProfile.V0_5_0.architectures().contains(architecture)) {
                return Optional.empty();
            }
            if (!RuntimeProfile.B4916.architectures().contains(architecture)) {
                return Optional.of("a " + architecture + " model");
            }
            return lacksGlobalLayer(gguf)
                    ? Optional.of("a gemma3 model of " + layers(gguf) + " layers (no global-attention layer)")
                    : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
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

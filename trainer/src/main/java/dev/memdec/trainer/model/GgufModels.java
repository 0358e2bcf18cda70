package dev.memdec.trainer.model;

import ai.djl.ndarray.NDManager;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gpt2.GgufGpt2Weights;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2Tensors;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.trainer.model.llama.RopeLm;
import dev.memdec.trainer.model.llama.RopeLmConfig;
import dev.memdec.trainer.model.llama.RopeLmGguf;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/** Builds a DJL model from a GGUF (any tensor type: quantized tensors are dequantized). */
public final class GgufModels {

    /** The architectures a GGUF may have to be read here. */
    public static final String SUPPORTED = "gpt2, llama, qwen2, qwen3";

    /** Whether {@link #loadAny} reads a GGUF of {@code general.architecture} {@code arch}. */
    public static boolean supports(String arch) {
        return arch.equals("gpt2") || RopeLmConfig.TRAINABLE.contains(arch);
    }

    /** A model read from a GGUF with the facts needed to check it against data and other models. */
    public record Loaded<M extends CausalLm>(M model, BpeVocabulary vocabulary, Path file) {
    }

    private GgufModels() {
    }

    /**
     * Reads a gpt2 {@code gguf} into a new model under {@code manager}.
     *
     * @throws IllegalArgumentException naming the file when it is not a gpt2 model, its tensors do not match
     *     its hyper-parameters, or its output head is not tied to the token embedding (this model ties them)
     */
    public static Loaded<Gpt2Lm> load(NDManager manager, Path gguf) throws IOException {
        try (GgufFile f = GgufFile.open(gguf)) {
            return loadGpt2(manager, f, gguf);
        }
    }

    /**
     * Reads a gpt2, llama, qwen2 or qwen3 {@code gguf} into a new model under {@code manager}.
     *
     * @throws IllegalArgumentException naming the file and field when the architecture is another, or the file
     *     does not fit its own hyper-parameters
     */
    public static Loaded<CausalLm> loadAny(NDManager manager, Path gguf) throws IOException {
        try (GgufFile f = GgufFile.open(gguf)) {
            String arch;
            try {
                arch = f.architecture();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(gguf + ": " + e.getMessage(), e);
            }
            if (arch.equals("gpt2")) {
                Loaded<Gpt2Lm> g = loadGpt2(manager, f, gguf);
                return new Loaded<>(g.model(), g.vocabulary(), gguf);
            }
            if (!supports(arch)) {
                throw new IllegalArgumentException(gguf + ": general.architecture is '" + arch
                        + "'; the trainer supports " + SUPPORTED);
            }
            RopeLmConfig config;
            BpeVocabulary vocabulary;
            try {
                config = RopeLmGguf.config(f);
                vocabulary = vocabulary(f, config.vocab());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage().startsWith(f.name()) ? e.getMessage()
                        : gguf + ": " + e.getMessage(), e);
            }
            return new Loaded<>(RopeLm.create(manager, config, RopeLmGguf.tensors(f, config)), vocabulary, gguf);
        }
    }

    private static Loaded<Gpt2Lm> loadGpt2(NDManager manager, GgufFile f, Path gguf) {
        Gpt2Config config;
        BpeVocabulary vocabulary;
        try {
            config = Gpt2Config.fromGguf(f);
            vocabulary = vocabulary(f, config.vocab());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(gguf + ": " + e.getMessage(), e);
        }
        GgufGpt2Weights weights = new GgufGpt2Weights(f);
        if (f.tensor(Gpt2Tensors.OUTPUT).isPresent()) {
            long n = (long) config.vocab() * config.embd();
            if (!Arrays.equals(weights.load(Gpt2Tensors.OUTPUT, n), weights.load(Gpt2Tensors.TOKEN_EMBD, n))) {
                throw new IllegalArgumentException(gguf + ": output.weight differs from token_embd.weight; "
                        + "the trainer's GPT-2 ties its output head to the token embedding");
            }
        }
        Gpt2Lm model = Gpt2Lm.create(manager, config, (name, shape) -> weights.load(name, LmConfig.count(shape)));
        return new Loaded<>(model, vocabulary, gguf);
    }

    private static BpeVocabulary vocabulary(GgufFile f, int rows) {
        BpeVocabulary vocabulary = BpeVocabulary.readFrom(f);
        if (vocabulary.size() != rows) {
            throw new IllegalArgumentException("tokenizer.ggml.tokens has " + vocabulary.size()
                    + " entries but token_embd.weight has " + rows + " rows");
        }
        return vocabulary;
    }
}

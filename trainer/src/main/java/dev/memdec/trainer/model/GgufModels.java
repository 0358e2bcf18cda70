package dev.memdec.trainer.model;

import ai.djl.ndarray.NDManager;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gpt2.GgufGpt2Weights;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2Tensors;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/** Builds a {@link Gpt2Lm} from a gpt2 GGUF (any tensor type: quantized tensors are dequantized). */
public final class GgufModels {

    /** A model read from a GGUF with the facts needed to check it against data and other models. */
    public record Loaded(Gpt2Lm model, BpeVocabulary vocabulary, Path file) {
    }

    private GgufModels() {
    }

    /**
     * Reads {@code gguf} into a new model under {@code manager}.
     *
     * @throws IllegalArgumentException naming the file when it is not a gpt2 model, its tensors do not match
     *     its hyper-parameters, or its output head is not tied to the token embedding (this model ties them)
     */
    public static Loaded load(NDManager manager, Path gguf) throws IOException {
        try (GgufFile f = GgufFile.open(gguf)) {
            Gpt2Config config;
            BpeVocabulary vocabulary;
            try {
                config = Gpt2Config.fromGguf(f);
                vocabulary = BpeVocabulary.readFrom(f);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(gguf + ": " + e.getMessage(), e);
            }
            if (vocabulary.size() != config.vocab()) {
                throw new IllegalArgumentException(gguf + ": tokenizer.ggml.tokens has " + vocabulary.size()
                        + " entries but token_embd.weight has " + config.vocab() + " rows");
            }
            GgufGpt2Weights weights = new GgufGpt2Weights(f);
            if (f.tensor(Gpt2Tensors.OUTPUT).isPresent()) {
                long n = (long) config.vocab() * config.embd();
                if (!Arrays.equals(weights.load(Gpt2Tensors.OUTPUT, n), weights.load(Gpt2Tensors.TOKEN_EMBD, n))) {
                    throw new IllegalArgumentException(gguf + ": output.weight differs from token_embd.weight; "
                            + "the trainer's GPT-2 ties its output head to the token embedding");
                }
            }
            Gpt2Lm model = Gpt2Lm.create(manager, config, (name, shape) -> weights.load(name, Gpt2Lm.count(shape)));
            return new Loaded(model, vocabulary, gguf);
        }
    }
}

package dev.memdec.trainer.cli;

import ai.djl.ndarray.NDManager;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.trainer.model.GgufModels;
import dev.memdec.trainer.model.Gpt2Lm;
import dev.memdec.trainer.model.ShapeSpec;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --init FILE.gguf} or {@code --shape LxDxH} (with {@code --ctx}): where the trained model starts. */
final class ModelChoice {

    @Option(names = "--init", required = true, description = "Start from this gpt2 GGUF (its tokenizer must match the data's).")
    Path init;

    @Option(names = "--shape", required = true, description = "Start from seeded random weights of this LAYERSxEMBDxHEADS shape, e.g. 4x256x4.")
    String shape;

    /** A starting point: the shape, the initial tensors and where they came from. */
    record Start(Gpt2Config config, Gpt2Lm.TensorSource tensors, String provenance) {
    }

    /**
     * Resolves the choice for data tokenized with {@code vocabulary}.
     *
     * @throws IllegalArgumentException when the --init model has another tokenizer
     */
    static Start resolve(ModelChoice choice, int ctx, NDManager manager, BpeVocabulary vocabulary, long seed)
            throws IOException {
        if (choice.shape != null) {
            Gpt2Config config = ShapeSpec.parse("--shape", choice.shape, ctx, vocabulary.size());
            return new Start(config, Gpt2Lm.randomInit(config, seed), "random " + choice.shape + ", seed " + seed);
        }
        GgufModels.Loaded loaded = GgufModels.load(manager, choice.init);
        String theirs = loaded.vocabulary().sha256();
        if (!theirs.equals(vocabulary.sha256())) {
            loaded.model().close();
            throw new IllegalArgumentException("--init " + choice.init + ": its tokenizer (sha256 " + theirs.substring(0, 12)
                    + "…, " + loaded.vocabulary().size() + " tokens) is not the tokenizer of the training data (sha256 "
                    + vocabulary.sha256().substring(0, 12) + "…, " + vocabulary.size() + " tokens)");
        }
        return new Start(loaded.model().config(), loaded.model().asSource(), "init " + choice.init.getFileName());
    }
}

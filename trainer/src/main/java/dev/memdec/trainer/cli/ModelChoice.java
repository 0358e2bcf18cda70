package dev.memdec.trainer.cli;

import ai.djl.ndarray.NDManager;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.trainer.model.CausalLm;
import dev.memdec.trainer.model.GgufModels;
import dev.memdec.trainer.model.Gpt2Lm;
import dev.memdec.trainer.model.LmConfig;
import dev.memdec.trainer.model.ShapeSpec;
import dev.memdec.trainer.model.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --init FILE.gguf} or {@code --shape LxDxH[xKV]} (with {@code --ctx}): where the trained model starts. */
final class ModelChoice {

    @Option(names = "--init", required = true,
            description = "Start from this gpt2, llama, qwen2 or qwen3 GGUF (its tokenizer must match the data's); the memory keeps its architecture.")
    Path init;

    @Option(names = "--shape", required = true,
            description = {"Start from seeded random weights of this shape: LAYERSxEMBDxHEADS (e.g. 4x256x4) is a GPT-2,",
                    "LAYERSxEMBDxHEADSxKV_HEADS (e.g. 4x256x8x2) a llama-shaped decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU, tied output)."})
    String shape;

    /** A starting point: the shape, the initial tensors and where they came from. */
    record Start(LmConfig config, TensorSource tensors, String provenance) {
    }

    /**
     * Resolves the choice for data tokenized with {@code vocabulary}.
     *
     * @param family the architecture of a llama-shaped {@code --shape} (null: GPT-2 for three numbers, llama for four)
     * @throws IllegalArgumentException when the --init model has another tokenizer or the shape does not fit
     */
    static Start resolve(ModelChoice choice, int ctx, NDManager manager, BpeVocabulary vocabulary, long seed,
                         String family) throws IOException {
        if (choice.shape != null) {
            LmConfig config = family == null && ShapeSpec.isGpt2(choice.shape)
                    ? new Gpt2Lm.Spec(ShapeSpec.parse("--shape", choice.shape, ctx, vocabulary.size()))
                    : ShapeSpec.parseRope("--shape", choice.shape, family == null ? "llama" : family, ctx,
                            vocabulary.size());
            return new Start(config, config.randomInit(seed), "random " + config.architecture() + " "
                    + config.shapeText() + ", seed " + seed);
        }
        if (family != null) {
            throw new IllegalArgumentException("--arch applies to --shape only; an --init model keeps its own architecture");
        }
        GgufModels.Loaded<CausalLm> loaded = GgufModels.loadAny(manager, choice.init);
        String theirs = loaded.vocabulary().sha256();
        if (!theirs.equals(vocabulary.sha256())) {
            loaded.model().close();
            throw new IllegalArgumentException("--init " + choice.init + ": its tokenizer (sha256 " + theirs.substring(0, 12)
                    + "…, " + loaded.vocabulary().size() + " tokens) is not the tokenizer of the training data (sha256 "
                    + vocabulary.sha256().substring(0, 12) + "…, " + vocabulary.size() + " tokens)");
        }
        return new Start(loaded.model().spec(), loaded.model().asSource(), "init " + choice.init.getFileName());
    }
}

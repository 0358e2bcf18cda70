package dev.memdec.trainer.model;

import ai.djl.ndarray.NDManager;
import dev.memdec.converter.family.DecoderTensors;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gpt2.GgufGpt2Weights;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2Tensors;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.PaddingRows;
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

    /**
     * A model read from a GGUF with the facts needed to check it against data and other models.
     *
     * @param vocabulary  its tokenizer without padding rows: one token per row of the model
     * @param paddingRows the trailing padding rows of the file the model dropped (0 for none)
     */
    public record Loaded<M extends CausalLm>(M model, BpeVocabulary vocabulary, Path file, int paddingRows) {
    }

    private GgufModels() {
    }

    /**
     * Reads a gpt2 {@code gguf} into a new model under {@code manager}, resized to its tokenizer's length as
     * {@link #loadAny} does.
     *
     * @throws IllegalArgumentException naming the file when it is not a gpt2 model, its tensors do not match
     *     its hyper-parameters, or its output head is not tied to the token embedding (this model ties them)
     */
    public static Loaded<Gpt2Lm> load(NDManager manager, Path gguf) throws IOException {
        try (GgufFile f = GgufFile.open(gguf)) {
            return loadGpt2(manager, f, gguf, true);
        }
    }

    /**
     * Reads a gpt2, llama, qwen2 or qwen3 {@code gguf} into a new model under {@code manager}, resized to its
     * tokenizer's length as the reference does with {@code resize_token_embeddings(len(tokenizer))} (reference-spec
     * §7.4): the trailing {@link PaddingRows padding rows} of {@code tokenizer.ggml.tokens} and their rows of
     * {@code token_embd} and {@code output} are dropped, so no softmax mass goes to them.
     *
     * @throws IllegalArgumentException naming the file and field when the architecture is another, or the file
     *     does not fit its own hyper-parameters
     */
    public static Loaded<CausalLm> loadAny(NDManager manager, Path gguf) throws IOException {
        return read(manager, gguf, true);
    }

    /**
     * {@link #loadAny} keeping every row the file stores, padding rows included: for a model whose rows must be its
     * file's (an MLP memory's output rows are its host's stored rows).
     */
    public static Loaded<CausalLm> loadAnyAsStored(NDManager manager, Path gguf) throws IOException {
        return read(manager, gguf, false);
    }

    private static Loaded<CausalLm> read(NDManager manager, Path gguf, boolean resize) throws IOException {
        try (GgufFile f = GgufFile.open(gguf)) {
            String arch;
            try {
                arch = f.architecture();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(gguf + ": " + e.getMessage(), e);
            }
            if (arch.equals("gpt2")) {
                Loaded<Gpt2Lm> g = loadGpt2(manager, f, gguf, resize);
                return new Loaded<>(g.model(), g.vocabulary(), gguf, g.paddingRows());
            }
            if (!supports(arch)) {
                throw new IllegalArgumentException(gguf + ": general.architecture is '" + arch
                        + "'; the trainer supports " + SUPPORTED);
            }
            RopeLmConfig config;
            BpeVocabulary vocabulary;
            try {
                config = RopeLmGguf.config(f);
                vocabulary = vocabulary(f, config.vocab(), resize);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage().startsWith(f.name()) ? e.getMessage()
                        : gguf + ": " + e.getMessage(), e);
            }
            int rows = config.vocab();
            RopeLmConfig resized = new RopeLmConfig(config.architecture(), config.decoder().withVocab(vocabulary.size()),
                    config.ropeFreqFactors());
            return new Loaded<>(RopeLm.create(manager, resized, firstRows(RopeLmGguf.tensors(f, config), rows,
                    vocabulary.size())), vocabulary, gguf, rows - vocabulary.size());
        }
    }

    private static Loaded<Gpt2Lm> loadGpt2(NDManager manager, GgufFile f, Path gguf, boolean resize) {
        Gpt2Config config;
        BpeVocabulary vocabulary;
        try {
            config = Gpt2Config.fromGguf(f);
            vocabulary = vocabulary(f, config.vocab(), resize);
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
        Gpt2Config resized = new Gpt2Config(config.layers(), config.embd(), config.heads(), config.ctx(),
                vocabulary.size(), config.ff(), config.eps());
        Gpt2Lm model = Gpt2Lm.create(manager, resized, firstRows((name, shape) -> weights.load(name, LmConfig.count(shape)),
                config.vocab(), vocabulary.size()));
        return new Loaded<>(model, vocabulary, gguf, config.vocab() - vocabulary.size());
    }

    /**
     * {@code file}, which reads {@code token_embd} and {@code output} with {@code rows} rows, for a model of their
     * first {@code real} rows (the row-major layout keeps a row's values together).
     */
    private static TensorSource firstRows(TensorSource file, int rows, int real) {
        if (rows == real) {
            return file;
        }
        return (name, shape) -> {
            if ((name.equals(DecoderTensors.TOKEN_EMBD) || name.equals(DecoderTensors.OUTPUT)) && shape.length == 2
                    && shape[0] == real) {
                float[] all = file.read(name, new long[] {rows, shape[1]});
                return Arrays.copyOf(all, Math.toIntExact(LmConfig.count(shape)));
            }
            return file.read(name, shape);
        };
    }

    /** The tokenizer of {@code f}, one token per row of its {@code rows}, without its padding rows if {@code resize}. */
    private static BpeVocabulary vocabulary(GgufFile f, int rows, boolean resize) {
        BpeVocabulary vocabulary = BpeVocabulary.readFrom(f);
        if (vocabulary.size() != rows) {
            throw new IllegalArgumentException("tokenizer.ggml.tokens has " + vocabulary.size()
                    + " entries but token_embd.weight has " + rows + " rows");
        }
        return resize ? vocabulary.withoutPaddingRows() : vocabulary;
    }
}

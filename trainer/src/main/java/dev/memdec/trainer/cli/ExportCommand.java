package dev.memdec.trainer.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.converter.tokenizer.CopiedGgufTokenizer;
import dev.memdec.converter.tokenizer.GgufTokenizer;
import dev.memdec.trainer.model.Gpt2Lm;
import dev.memdec.trainer.model.MlpLm;
import dev.memdec.trainer.model.TrainableModel;
import dev.memdec.trainer.model.llama.RopeLm;
import dev.memdec.trainer.model.llama.RopeLmGguf;
import dev.memdec.trainer.model.Gpt2LmWeights;
import dev.memdec.trainer.train.Checkpoint;
import dev.memdec.trainer.train.MlpTraining;
import dev.memdec.trainer.train.TorchThreads;
import dev.memdec.trainer.train.TrainingRun;
import dev.memdec.trainer.train.TrainingState;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code memdec export}: writes a training checkpoint as a llama.cpp-loadable GGUF of its architecture with memdec.*
 * metadata, or an MLP memory's checkpoint ({@code train-mlp}) as a {@code memdec-mlp} GGUF.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Export a trained checkpoint as a GGUF of its architecture (gpt2, llama, qwen2, qwen3).",
                "The tokenizer is --vocab-from's, else the --tokenizer-from/--init file recorded at training, else GPT-2's;",
                "from a file every tokenizer.* key is copied as it is, after checking it is the tokenizer trained with;",
                "trailing padding rows ([PAD<id>]) beyond the memory's rows are cut from tokens, scores and token_type.",
                "memdec.* keys record the format version, tokenizer hash, default lambda and memory temperature,",
                "the host and corpus it was trained from, and a training summary.",
                "A train-mlp checkpoint becomes a memdec-mlp GGUF (the host's architecture, width, hidden state,",
                "tokenizer hash and file hash; default lambda 0.25) for --memory in generate/perplexity/chat/serve/bench."})
public final class ExportCommand implements MemdecCommand {

    /** Version of the memdec.* keys written here. */
    public static final String FORMAT_VERSION = "1";

    @Option(names = "--checkpoint", required = true, description = "A checkpoint directory, or a training --out directory (its newest checkpoint).")
    Path checkpoint;

    @Option(names = "--out", required = true, description = "Output .gguf file.")
    Path out;

    @Option(names = "--type", defaultValue = "f32", description = "Matrix storage type: f32 (default), f16, q8_0 or q4_0.")
    String type;

    @Option(names = "--lambda", description = "Default mixing weight of the memory stored in the file (default 0.55; 0.25 for an MLP memory).")
    Float lambda;

    @Option(names = "--temperature", defaultValue = "1.0", description = "Default memory temperature stored in the file (default ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--vocab-from", description = "Take the tokenizer from this GGUF (e.g. the host) instead of the one recorded at training.")
    Path vocabFrom;

    @Option(names = "--name", description = "general.name of the exported model.")
    String name;

    @Option(names = "--json", description = "Print a JSON summary instead of a sentence.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        GgmlType storage = parseType(type);
        if (lambda != null && !(lambda > 0 && lambda < 1)) {
            throw new IllegalArgumentException("--lambda must be in (0, 1), got " + lambda);
        }
        if (!(temperature > 0) || !Float.isFinite(temperature)) {
            throw new IllegalArgumentException("--temperature must be a finite value > 0, got " + temperature);
        }
        if (!out.getFileName().toString().endsWith(".gguf")) {
            throw new IllegalArgumentException("--out " + out + ": expected a file name ending in .gguf");
        }
        Path dir = Checkpoint.resolve(checkpoint);
        TrainingState state = Checkpoint.readState(dir);
        if (state.model() instanceof MlpLm.Spec) {
            return exportMlp(dir, state, storage, stdout);
        }
        float lambda = this.lambda != null ? this.lambda : 0.55f;
        String recorded = state.metadata().get(TrainCommand.TOKENIZER_FROM);
        Path tokenizerFile = vocabFrom != null ? vocabFrom : recorded == null ? null : Path.of(recorded);
        String source = vocabFrom != null ? "--vocab-from " + vocabFrom
                : tokenizerFile != null ? "the checkpoint's " + TrainCommand.TOKENIZER_FROM + " " + tokenizerFile
                : "the GPT-2 tokenizer";
        Map<String, String> meta = new LinkedHashMap<>();
        if (name != null) {
            meta.put(GgufKeys.NAME, name);
        }
        meta.put("memdec.format_version", FORMAT_VERSION);
        meta.put("memdec.kind", "memory");
        meta.putAll(state.exportedMetadata());
        meta.put("memdec.lambda_default", Float.toString(lambda));
        meta.put("memdec.temperature_default", Float.toString(temperature));
        meta.put("memdec.training", new Gson().toJson(RunReport.summary(new TrainingRun.Result(state.step(), dir, state, false))));
        TorchThreads.use(Runtime.getRuntime().availableProcessors());
        String expected = state.metadata().get(GgufKeys.TOKENIZER_SHA256);
        if (tokenizerFile == null) {
            write(dir, state, checked(Gpt2Tokenizer.vocabulary(), expected, dir, source), storage, meta);
        } else {
            try (GgufFile f = GgufFile.open(tokenizerFile)) {
                BpeVocabulary vocabulary;
                CopiedGgufTokenizer tokenizer;
                try {
                    vocabulary = BpeVocabulary.readFrom(f);
                    tokenizer = CopiedGgufTokenizer.of(f);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(source + ": no usable tokenizer (" + e.getMessage() + ")", e);
                }
                checked(vocabulary, expected, dir, source);
                // a memory resized to its tokenizer's length (TrainCommand.PADDING_ROWS_DROPPED) carries it cut alike
                tokenizer = tokenizer.truncatedTo(Math.min(tokenizer.size(), state.model().vocab()));
                write(dir, state, tokenizer, storage, meta);
            }
        }
        report(dir, state, storage, meta, stdout);
        return 0;
    }

    private Integer exportMlp(Path dir, TrainingState state, GgmlType storage, PrintWriter stdout) throws java.io.IOException {
        if (vocabFrom != null) {
            throw new IllegalArgumentException("--vocab-from: an MLP memory carries no tokenizer, only its hash; "
                    + "checkpoint " + dir + " is an MLP memory");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        if (name != null) {
            meta.put(GgufKeys.NAME, name);
        }
        meta.put("memdec.format_version", FORMAT_VERSION);
        meta.putAll(state.exportedMetadata());
        meta.put("memdec.training", new Gson().toJson(RunReport.summary(new TrainingRun.Result(state.step(), dir, state, false))));
        TorchThreads.use(Runtime.getRuntime().availableProcessors());
        MlpTraining.export(dir, state, storage, lambda != null ? lambda : MlpTraining.DEFAULT_LAMBDA, temperature, meta, out);
        report(dir, state, storage, meta, stdout);
        return 0;
    }

    private void report(Path dir, TrainingState state, GgmlType storage, Map<String, String> meta, PrintWriter stdout)
            throws java.io.IOException {
        long bytes = Files.size(out);
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("out", out.toString());
            m.put("checkpoint", dir.toString());
            m.put("type", storage.name());
            m.put("bytes", bytes);
            m.put("metadata", meta);
            stdout.println(new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(m));
        } else {
            stdout.printf(Locale.ROOT, "wrote %s (%s, %,d bytes) from %s, step %d%n", out, storage, bytes, dir, state.step());
        }
    }

    /** The checkpoint's tokenizer must be the one it was trained with (when it recorded one). */
    private static BpeVocabulary checked(BpeVocabulary vocabulary, String expected, Path dir, String source) {
        if (expected != null && !expected.equals(vocabulary.sha256())) {
            throw new IllegalArgumentException("checkpoint " + dir + " was trained with tokenizer sha256 " + expected
                    + " but " + source + " has " + vocabulary.sha256());
        }
        return vocabulary;
    }

    /** The checkpoint's model written in its own architecture, atomically. */
    private void write(Path dir, TrainingState state, GgufTokenizer tokenizer, GgmlType storage, Map<String, String> meta)
            throws java.io.IOException {
        try (NDManager manager = NDManager.newBaseManager("PyTorch");
             TrainableModel model = state.model().create(manager, Checkpoint.modelTensors(manager, dir))) {
            if (model instanceof Gpt2Lm g) {
                Gpt2GgufExporter.write(g.config(), new Gpt2LmWeights(g), tokenizer, storage, meta, out);
            } else if (model instanceof RopeLm r) {
                RopeLmGguf.write(r, tokenizer, storage, meta, out);
            } else {
                throw new IllegalStateException("no exporter for " + state.model().architecture());
            }
        }
    }

    static GgmlType parseType(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "f32" -> GgmlType.F32;
            case "f16" -> GgmlType.F16;
            case "q8_0" -> GgmlType.Q8_0;
            case "q4_0" -> GgmlType.Q4_0;
            default -> throw new IllegalArgumentException("--type: expected f32, f16, q8_0 or q4_0, got '" + name + "'");
        };
    }
}

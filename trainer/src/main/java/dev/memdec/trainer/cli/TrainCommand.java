package dev.memdec.trainer.cli;

import ai.djl.ndarray.NDManager;
import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.ByteLevelBpeTokenizer;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.plugin.retrieval.DatastoreSpec;
import dev.memdec.trainer.model.CausalLm;
import dev.memdec.trainer.model.GgufModels;
import dev.memdec.trainer.stop.GracefulStop;
import dev.memdec.trainer.train.DatastoreWindows;
import dev.memdec.trainer.train.TrainingRun;
import dev.memdec.trainer.train.TrainingWindows;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code memdec train}: trains a Memory Decoder on a datastore's windows with its kNN distributions. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a Memory Decoder: loss = beta*KL(p_kNN||p_mem) + (1-beta)*CE over the datastore's windows.",
                "The windows' tokens are the token streams stored in the datastore (checked against its values);",
                "--corpus reads them from the corpus files instead (checked by SHA-256 and token by token).",
                "The memory's tokenizer is the --init model's, else --tokenizer-from's, else GPT-2's; it must be the datastore's.",
                "Trailing padding rows ([PAD<id>]) of that tokenizer get no model row, as the reference's resize to the tokenizer length.",
                "Checkpoints go to OUT/checkpoints (resumed when present); OUT/loss.png plots the curves.",
                "SIGTERM or Ctrl-C stops at the next step boundary with a checkpoint; run the same command again to resume.",
                "A non-finite loss or gradient stops with exit status 1, naming the step and the last good checkpoint."})
public final class TrainCommand implements MemdecCommand {

    /** Checkpoint metadata: the GGUF whose tokenizer.* keys the exported memory carries. */
    public static final String TOKENIZER_FROM = "memdec.tokenizer_from";

    /**
     * Checkpoint metadata: how many trailing padding rows of that GGUF's tokenizer the memory has no row for (absent
     * when none); its exported tokenizer is cut to the same length.
     */
    public static final String PADDING_ROWS_DROPPED = "memdec.padding_rows_dropped";

    @Option(names = "--datastore", required = true, description = "Datastore directory (memdec datastore).")
    Path datastore;

    @Option(names = "--knn", required = true, description = "kNN distributions computed over that datastore (memdec knn).")
    Path knn;

    @Option(names = "--corpus", arity = "1..*",
            description = "Optional: the datastore's corpus files, in its order, to tokenize instead of its stored token streams.")
    List<Path> corpus;

    @ArgGroup(exclusive = true, multiplicity = "1")
    ModelChoice model;

    @Option(names = "--tokenizer-from",
            description = "GGUF (e.g. the host) whose tokenizer a --shape memory takes; export copies its tokenizer.* keys.")
    Path tokenizerFrom;

    @Option(names = "--arch", description = "Family of a llama-shaped --shape memory: llama (default), qwen2 or qwen3.")
    String arch;

    @Option(names = "--ctx", description = "Context length of a --shape model (default: the datastore's window).")
    Integer ctx;

    @Option(names = "--out", required = true, description = "Output directory for checkpoints and the loss plot.")
    Path out;

    @Option(names = "--beta", defaultValue = "0.5", description = "Weight of the KL term, in [0, 1] (default ${DEFAULT-VALUE}).")
    float beta;

    @Option(names = "--host", description = "Host GGUF (gpt2, llama, qwen2, qwen3): also report the joint validation perplexity with it.")
    Path host;

    @Option(names = "--lambda", defaultValue = "0.55", description = "Memory weight of the joint perplexity (default ${DEFAULT-VALUE}).")
    float lambda;

    @Mixin
    TrainingFlags flags;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        flags.applyThreads();
        if (tokenizerFrom != null && model.init != null) {
            throw new IllegalArgumentException("--tokenizer-from applies to --shape only; an --init model keeps its own tokenizer");
        }
        Path tokenizerFile = model.init != null ? model.init : tokenizerFrom;
        String tokenizerFlag = model.init != null ? "--init" : "--tokenizer-from";
        BpeVocabulary stored = tokenizerFile == null ? Gpt2Tokenizer.vocabulary() : readVocabulary(tokenizerFlag, tokenizerFile);
        // the reference's resize_token_embeddings(len(tokenizer)) (reference-spec §7.4): no row for a padding row
        BpeVocabulary vocabulary;
        try {
            vocabulary = stored.withoutPaddingRows();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(tokenizerFlag + " " + tokenizerFile + ": " + e.getMessage(), e);
        }
        if (corpus != null && !vocabulary.sha256().equals(Gpt2Tokenizer.vocabulary().sha256())) {
            throw new IllegalArgumentException("--corpus: re-tokenizing corpus files in Java needs the GPT-2 tokenizer; "
                    + "leave --corpus out to train on the datastore's stored token streams");
        }
        ByteLevelBpeTokenizer tokenizer = Gpt2Tokenizer.get();
        TrainingRun.Result r;
        try (GracefulStop stop = GracefulStop.install("training", "step", GracefulStop.WAIT);
             DatastoreWindows data = DatastoreWindows.open(datastore, knn, corpus == null ? List.of() : corpus, tokenizer::encode);
             NDManager manager = flags.newManager()) {
            DatastoreSpec spec = data.spec();
            if (!spec.tokenizerSha256().equals(vocabulary.sha256())) {
                throw new IllegalArgumentException("--datastore " + datastore + ": tokenizer_sha256 " + spec.tokenizerSha256()
                        + " is not the memory's tokenizer (" + vocabulary.sha256() + ", from "
                        + (tokenizerFile == null ? "the built-in GPT-2" : tokenizerFile) + ")"
                        + (tokenizerFile == null ? "; give --tokenizer-from HOST.gguf for another host's tokenizer" : ""));
            }
            if (flags.seq != null && flags.seq != spec.windowCtx()) {
                throw new IllegalArgumentException("--seq " + flags.seq + " differs from the datastore's window of "
                        + spec.windowCtx() + " tokens; the windows are the datastore's");
            }
            int modelCtx = ctx == null ? spec.windowCtx() : ctx;
            ModelChoice.Start start = ModelChoice.resolve(model, modelCtx, manager, vocabulary, flags.seed, arch);
            if (start.config().ctx() < spec.windowCtx()) {
                throw new IllegalArgumentException("the model context " + start.config().ctx() + " is shorter than the datastore's "
                        + spec.windowCtx() + "-token windows");
            }
            CausalLm hostModel = host == null ? null : loadHost(manager, host, spec);
            TrainingWindows[] split = flags.split(data);
            Map<String, String> metadata = data.provenance("memory", start.provenance());
            if (tokenizerFile != null) {
                metadata.put(TOKENIZER_FROM, tokenizerFile.toAbsolutePath().toString());
            }
            if (stored.size() > vocabulary.size()) {
                metadata.put(PADDING_ROWS_DROPPED, Integer.toString(stored.size() - vocabulary.size()));
            }
            r = new TrainingRun(manager, start.config(), start.tensors(), split[0], split[1],
                    flags.options(beta, lambda), out, metadata, hostModel).stopWhen(stop).run();
            RunReport.print(r, flags.json, stdout);
        }
        return RunReport.exitCode(r);
    }

    /** The tokenizer of {@code file}, or one line naming the flag and what is missing. */
    static BpeVocabulary readVocabulary(String flag, Path file) throws java.io.IOException {
        try (GgufFile f = GgufFile.open(file)) {
            return BpeVocabulary.readFrom(f);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + " " + file + ": no usable tokenizer (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The --host of a joint validation perplexity: a gpt2, llama, qwen2 or qwen3 GGUF with the datastore's tokenizer
     * and a long enough context.
     */
    static CausalLm loadHost(NDManager manager, Path host, DatastoreSpec spec) throws java.io.IOException {
        GgufModels.Loaded<CausalLm> loaded = GgufModels.loadAny(manager, host);
        if (!loaded.vocabulary().sha256().equals(spec.tokenizerSha256())) {
            loaded.model().close();
            throw new IllegalArgumentException("--host " + host + ": its tokenizer (sha256 " + loaded.vocabulary().sha256()
                    + ") is not the datastore's (" + spec.tokenizerSha256() + ")");
        }
        if (loaded.model().spec().ctx() < spec.windowCtx()) {
            loaded.model().close();
            throw new IllegalArgumentException("--host " + host + ": context " + loaded.model().spec().ctx()
                    + " is shorter than the datastore's " + spec.windowCtx() + "-token windows");
        }
        return loaded.model();
    }
}

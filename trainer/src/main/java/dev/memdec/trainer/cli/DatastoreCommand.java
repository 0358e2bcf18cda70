package dev.memdec.trainer.cli;

import com.google.gson.GsonBuilder;
import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.plugin.TrainingContext;
import dev.memdec.plugin.cli.RuntimeChoice;
import dev.memdec.plugin.retrieval.DatastoreBuilder;
import dev.memdec.plugin.retrieval.DatastoreManifest;
import dev.memdec.plugin.retrieval.KeyType;
import dev.memdec.trainer.stop.GracefulStop;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code memdec datastore}: host hidden states (keys) paired with next tokens (values) over a corpus. */
@Command(name = "datastore", mixinStandardHelpOptions = true,
        description = "Runs the host over the corpus in sliding windows and stores, for every scored position t, "
                + "the host's hidden state at t (fp16 key) with token t+1 (value). SIGTERM / Ctrl-C stops it after the "
                + "current window; resumable: run it again after a stop or a kill.")
public final class DatastoreCommand implements MemdecCommand {

    static final int DEFAULT_CTX = 1024;
    static final int DEFAULT_STRIDE = 512;

    @Mixin
    RuntimeChoice runtimeChoice;

    @Option(names = "--host", required = true, paramLabel = "H.gguf", description = "Host model.")
    Path host;

    @Option(names = "--corpus", required = true, arity = "1..*", paramLabel = "PATH", description = "UTF-8 text files.")
    List<Path> corpus;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--ctx", description = "Window length in tokens (default: " + DEFAULT_CTX
            + ", capped by the host's training context).")
    Integer ctx;

    @Option(names = "--stride", description = "Window stride (default: " + DEFAULT_STRIDE + ", or half the window "
            + "when the window is shorter).")
    Integer stride;

    @Option(names = "--key", defaultValue = "ffn-input", paramLabel = "ffn-input|final",
            description = "Key: last block's FFN input (reference) or the final normed state (default: ${DEFAULT-VALUE}).")
    String key;

    @Option(names = "--group-lines", defaultValue = "0", paramLabel = "N",
            description = "0: each corpus file is one token stream (default). N > 0: as the reference (N = 1000), "
                    + "every N lines form a stream cut to a multiple of --ctx tokens, the remainder dropped.")
    int groupLines;

    @Option(names = "--threads", description = "llama.cpp threads (default: all cores).")
    Integer threads;

    @Option(names = "--json", description = "Print the manifest as JSON.")
    boolean json;

    @Option(names = "--spark", paramLabel = "MASTER",
            description = "Build on Spark (e.g. local[4], spark://host:7077): one task per corpus file, the host "
                    + "loaded once per executor; same output as without. Host, corpus and --out must be on a "
                    + "filesystem the driver and every executor see.")
    String spark;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return GracefulStop.run("datastore", "window", GracefulStop.WAIT, this::build);
    }

    private int build(BooleanSupplier stop) throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        KeyType keyType = KeyType.fromCliName(key);
        // A missing host is left to the builder, which names it after checking the corpus.
        int window = ctx != null ? ctx
                : Files.isRegularFile(host) ? Math.min(DEFAULT_CTX, TrainingContext.of(host, "--host")) : DEFAULT_CTX;
        int step = stride != null ? stride : window >= DEFAULT_STRIDE ? DEFAULT_STRIDE : Math.max(1, window / 2);
        DatastoreBuilder.Options options = new DatastoreBuilder.Options(window, step, keyType,
                threads == null ? Runtime.getRuntime().availableProcessors() : threads, groupLines);
        long t0 = System.nanoTime();
        DatastoreManifest m;
        ProgressBar[] bar = new ProgressBar[1];
        long[] resumedAt = {0};
        try {
            m = spark != null ? SparkStages.load().datastore(spark, host, corpus, out, options, stop)
                    : DatastoreBuilder.build(host, corpus, out, options, new DatastoreBuilder.Progress() {
                @Override
                public void start(long totalEntries, long entriesDone) {
                    resumedAt[0] = entriesDone;
                    bar[0] = new ProgressBarBuilder().setTaskName("datastore").setInitialMax(totalEntries)
                            .setStyle(ProgressBarStyle.ASCII).setUnit(" entries", 1).showSpeed().startsFrom(entriesDone,
                                    java.time.Duration.ZERO).build();
                }

                @Override
                public void step(long entries) {
                    bar[0].stepBy(entries);
                }
            }, stop);
        } finally {
            if (bar[0] != null) {
                bar[0].close();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (json) {
            stdout.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(m));
        } else {
            stdout.printf(Locale.ROOT, "datastore: %d entries × d=%d (%s keys), %.1f s, %.0f entries/s -> %s%n",
                    m.count(), m.spec().dimension(), m.spec().keyType(), seconds,
                    (m.count() - resumedAt[0]) / seconds, out);
        }
        return 0;
    }
}

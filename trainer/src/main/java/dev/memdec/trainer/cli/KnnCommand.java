package dev.memdec.trainer.cli;

import com.google.gson.GsonBuilder;
import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.natives.faiss.FaissIndex;
import dev.memdec.plugin.cli.RuntimeChoice;
import dev.memdec.plugin.retrieval.Datastore;
import dev.memdec.plugin.retrieval.IndexType;
import dev.memdec.plugin.retrieval.KnnBuilder;
import dev.memdec.plugin.retrieval.KnnConfig;
import dev.memdec.plugin.retrieval.KnnDistributions;
import dev.memdec.plugin.retrieval.KnnManifest;
import dev.memdec.plugin.retrieval.KnnRecall;
import dev.memdec.plugin.retrieval.ProbType;
import dev.memdec.trainer.stop.GracefulStop;
import java.io.PrintWriter;
import java.nio.file.Path;
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

/** {@code memdec knn}: the kNN teacher distribution of every datastore entry. */
@Command(name = "knn", mixinStandardHelpOptions = true,
        description = "Searches every datastore entry's k nearest neighbours (itself excluded by id) and stores "
                + "softmax(-d/T) summed per next token, sparse and renormalised. SIGTERM / Ctrl-C stops it after the current chunk; resumable: run it again after a stop or a kill.")
public final class KnnCommand implements MemdecCommand {

    @Mixin
    RuntimeChoice runtimeChoice;

    @Option(names = "--datastore", required = true, paramLabel = "DIR", description = "Datastore directory.")
    Path datastore;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--index", defaultValue = "auto", paramLabel = "auto|flat|ivfpq",
            description = "FAISS index; auto = flat below 100k entries, else IVF-PQ (default: ${DEFAULT-VALUE}).")
    String index;

    @Option(names = "--k", defaultValue = "1024", description = "Neighbours per entry (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--temp", defaultValue = "16", description = "Softmax temperature over squared L2 (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--threshold", defaultValue = "0",
            description = "Drop tokens with p <= this, then renormalise (default: ${DEFAULT-VALUE}).")
    double threshold;

    @Option(names = "--nprobe", defaultValue = "32", description = "IVF lists searched (default: ${DEFAULT-VALUE}).")
    int nprobe;

    // The reference trains on up to 1,000,000 keys (reference-spec §4.1); k-means over that many 768-wide keys
    // takes hours on a small CPU, while 131,072 keys give the 2,048 lists of a 1M-entry datastore 64 points each
    // (faiss asks for 39) and train in minutes.
    @Option(names = "--train-size", defaultValue = "131072",
            description = "Keys sampled to train IVF-PQ; the IVF list count is capped at train-size/39 "
                    + "(default: ${DEFAULT-VALUE}; the reference uses up to 1000000).")
    int trainSize;

    @Option(names = "--probs", defaultValue = "f16", paramLabel = "f16|f32",
            description = "Stored probability precision (default: ${DEFAULT-VALUE}).")
    String probs;

    @Option(names = "--json", description = "Print the manifest as JSON.")
    boolean json;

    @Option(names = "--spark", paramLabel = "MASTER",
            description = "Search on Spark (e.g. local[4], spark://host:7077): the index is built here, then each "
                    + "task memory-maps it and searches --spark-rows queries; same output as without. Datastore and "
                    + "--out must be on a filesystem the driver and every executor see.")
    String spark;

    @Option(names = "--spark-rows", defaultValue = "65536", paramLabel = "N",
            description = "Queries per Spark task, rounded up to whole search chunks (default: ${DEFAULT-VALUE}).")
    int sparkRows;

    @Option(names = "--recall", paramLabel = "N",
            description = "Build nothing: measure recall@k of the finished index in --out (k: its build's) against "
                    + "exact search over the datastore, on N seeded sample entries (each excluded from its own "
                    + "neighbours), at each --recall-nprobe.")
    Integer recall;

    @Option(names = "--recall-nprobe", defaultValue = "8,32", split = ",", paramLabel = "a,b,...",
            description = "IVF lists searched in the --recall measurement (default: ${DEFAULT-VALUE}).")
    int[] recallNprobe;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return GracefulStop.run("knn", "chunk", GracefulStop.WAIT, this::build);
    }

    private int build(BooleanSupplier stop) throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        if (recall != null) {
            return recall(stdout);
        }
        KnnConfig config = new KnnConfig(k, temperature, threshold, IndexType.fromCliName(index), nprobe, trainSize,
                ProbType.fromCliName(probs));
        try (Datastore ds = Datastore.open(datastore)) {
            ds.verifyChecksums();
            long t0 = System.nanoTime();
            KnnManifest m;
            if (spark != null) {
                if (sparkRows < 1) {
                    throw new IllegalArgumentException("--spark-rows must be positive, got " + sparkRows);
                }
                m = SparkStages.load().knn(spark, datastore, out, config, sparkRows, stop);
            } else {
                try (ProgressBar bar = new ProgressBarBuilder().setTaskName("knn").setInitialMax(ds.count())
                        .setStyle(ProgressBarStyle.ASCII).setUnit(" rows", 1).showSpeed().build()) {
                    m = KnnBuilder.build(ds, out, config, bar::stepBy, stop);
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (json) {
                stdout.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(m));
            } else {
                stdout.printf(Locale.ROOT, "knn: %d entries, k=%d, T=%s, index %s (%d bytes), %d stored tokens "
                                + "(%.1f per entry), %.1f s -> %s%n", m.count(), m.neighbours(), m.temperature(),
                        m.index().factory(), m.index().bytes(), m.entries(), m.entries() / (double) m.count(), seconds, out);
            }
            return 0;
        }
    }

    /** {@code --recall N}: the finished index in --out against exact search. */
    private int recall(PrintWriter stdout) throws Exception {
        if (recall < 1) {
            throw new IllegalArgumentException("--recall must be >= 1, got " + recall);
        }
        for (int p : recallNprobe) {
            if (p < 1) {
                throw new IllegalArgumentException("--recall-nprobe values must be >= 1, got " + p);
            }
        }
        if (!java.nio.file.Files.isRegularFile(out.resolve(KnnManifest.FILE))) {
            throw new IllegalArgumentException("--recall: --out " + out + " holds no finished kNN directory ("
                    + KnnManifest.FILE + " is missing); run knn without --recall first");
        }
        try (Datastore ds = Datastore.open(datastore);
             KnnDistributions knn = KnnDistributions.open(out);
             FaissIndex index = knn.openIndex(ds)) {
            KnnManifest m = knn.manifest();
            boolean ivf = m.index().type() == IndexType.IVFPQ;
            int[] nprobes = ivf ? recallNprobe : new int[] {0};
            KnnRecall.Report r = KnnRecall.measure(ds, index, recall, m.neighbours(), nprobes);
            if (json) {
                stdout.println(new GsonBuilder().setPrettyPrinting().create().toJson(r));
            } else {
                stdout.printf(Locale.ROOT, "recall@%d of %s over %d entries, %d sampled queries (exact flat search "
                        + "%.2f s)%n", r.k(), m.index().factory(), ds.count(), r.queries(), r.exactSeconds());
                for (KnnRecall.Point p : r.points()) {
                    stdout.printf(Locale.ROOT, "nprobe %s: recall@%d %.4f, search %.2f s (%.0f queries/s)%n",
                            p.nprobe() == 0 ? "-" : Integer.toString(p.nprobe()), r.k(), p.recall(), p.seconds(),
                            r.queries() / p.seconds());
                }
            }
            return 0;
        }
    }
}

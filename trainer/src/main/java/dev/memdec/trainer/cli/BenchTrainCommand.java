package dev.memdec.trainer.cli;

import com.google.gson.GsonBuilder;
import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.trainer.demo.DemoConfig;
import dev.memdec.trainer.model.ShapeSpec;
import dev.memdec.trainer.train.TrainingBenchmark;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code memdec bench-train}: training tokens/s of the DJL trainer next to PyTorch eager, same shape and batch. */
@Command(name = "bench-train", mixinStandardHelpOptions = true,
        description = {"Training tokens/s of the DJL trainer and of PyTorch eager (Debian's python3-torch under /usr/bin/python3)",
                "on the same shape, seeded weights, synthetic kNN batches and thread count; prints both and their ratio.",
                "Defaults come from a demo preset (the memory of `memdec demo`); the flags override them."})
public final class BenchTrainCommand implements MemdecCommand {

    /** Held so its level stays set: the trainer's per-epoch log line is noise in a benchmark. */
    private static final java.util.logging.Logger RUN_LOG =
            java.util.logging.Logger.getLogger(dev.memdec.trainer.train.TrainingRun.class.getName());

    @Option(names = "--preset", defaultValue = "full",
            description = "Demo preset whose memory shape, window, batch and kNN k to use: quick or full (default ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--shape", description = "LAYERSxEMBDxHEADS (default: the preset's).")
    String shape;

    @Option(names = "--seq", description = "Tokens per window (default: the preset's context).")
    Integer seq;

    @Option(names = "--batch", description = "Windows per step (default: the preset's).")
    Integer batch;

    @Option(names = "--k", description = "kNN entries per scored position (default: the preset's).")
    Integer k;

    @Option(names = "--vocab", defaultValue = "" + Gpt2Tokenizer.VOCAB_SIZE, description = "Vocabulary size (default ${DEFAULT-VALUE}, GPT-2's).")
    int vocab;

    @Option(names = "--warmup", defaultValue = "2", description = "Untimed steps first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--steps", defaultValue = "5", description = "Timed steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--threads", defaultValue = "1", description = "Intra-op threads of both engines (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the weights and data (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Print a JSON summary instead of sentences.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        DemoConfig demo = switch (preset) {
            case "quick" -> DemoConfig.quick(threads);
            case "full" -> DemoConfig.full(threads);
            default -> throw new IllegalArgumentException("--preset must be quick or full, got '" + preset + "'");
        };
        int window = seq != null ? seq : demo.ctx();
        Gpt2Config config = ShapeSpec.parse("--shape", shape != null ? shape : demo.hostShape(), window, vocab);
        TrainingBenchmark.Setup setup = new TrainingBenchmark.Setup(config, window, batch != null ? batch : demo.batch(),
                k != null ? k : demo.knnK(), warmup, steps, threads, seed);
        RUN_LOG.setLevel(java.util.logging.Level.WARNING);
        double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        TrainingBenchmark.Measurement djl = TrainingBenchmark.djl(setup);
        double pack = TrainingBenchmark.packSeconds(setup);
        TrainingBenchmark.Measurement torch = TrainingBenchmark.torch(setup);
        double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        double ratio = djl.tokensPerSecond() / torch.tokensPerSecond();
        double cpuRatio = torch.cpuSeconds() / djl.cpuSeconds();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("shape", ShapeSpec.of(config));
            m.put("seq", window);
            m.put("batch", setup.batch());
            m.put("k", setup.k());
            m.put("vocab", vocab);
            m.put("threads", threads);
            m.put("steps", steps);
            m.put("djl_tokens_per_second", djl.tokensPerSecond());
            m.put("djl_ms_per_step", djl.millisPerStep());
            m.put("djl_cpu_ms_per_step", djl.cpuMillisPerStep());
            m.put("djl_pack_ms_per_step", 1000 * pack);
            m.put("torch_tokens_per_second", torch.tokensPerSecond());
            m.put("torch_ms_per_step", torch.millisPerStep());
            m.put("torch_cpu_ms_per_step", torch.cpuMillisPerStep());
            m.put("djl_over_torch", ratio);
            m.put("djl_over_torch_cpu", cpuRatio);
            m.put("load_average", new double[] {loadBefore, loadAfter});
            stdout.println(new GsonBuilder().setPrettyPrinting().create().toJson(m));
            return 0;
        }
        stdout.printf(Locale.ROOT, "shape %s, seq %d, batch %d, k %d, vocab %d, %d threads, %d timed steps after %d warm-up:%n",
                ShapeSpec.of(config), window, setup.batch(), setup.k(), vocab, threads, steps, warmup);
        for (TrainingBenchmark.Measurement m : new TrainingBenchmark.Measurement[] {djl, torch}) {
            stdout.printf(Locale.ROOT, "  %-24s %8.0f tokens/s  %8.0f ms/step wall  %8.0f ms/step CPU  (%d threads)%n",
                    m.engine(), m.tokensPerSecond(), m.millisPerStep(), m.cpuMillisPerStep(), m.threads());
        }
        stdout.printf(Locale.ROOT, "  DJL/PyTorch eager speed: %.2f by wall time, %.2f by CPU time (DJL steps include "
                + "%.0f ms of Java-side batch packing); load average %.1f -> %.1f%n", ratio, cpuRatio, 1000 * pack,
                loadBefore, loadAfter);
        return 0;
    }
}

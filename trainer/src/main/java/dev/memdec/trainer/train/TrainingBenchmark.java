package dev.memdec.trainer.train;

import ai.djl.ndarray.NDManager;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.trainer.model.Gpt2Lm;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Training throughput of the DJL trainer and of PyTorch eager ({@link TorchReference}) on the same shape, the same
 * seeded weights and the same synthetic kNN batches, with the same intra-op thread count: {@code warmup} untimed
 * steps, then {@code steps} timed ones of forward, distillation loss, backward, clipping and AdamW.
 *
 * <p>The DJL steps are the trainer's own ({@link TrainingRun}), so they include packing the sparse kNN rows in Java
 * ({@link #packSeconds} measures that part alone); the torch steps start from prepared tensors and gather the loss
 * at the kNN ids as the DJL trainer does, so both compute the same thing.
 */
public final class TrainingBenchmark {

    /** What to measure; {@code k} kNN entries per scored position. */
    public record Setup(Gpt2Config shape, int seq, int batch, int k, int warmup, int steps, int threads, long seed) {
        public Setup {
            if (seq < 2 || seq > shape.ctx() || batch < 1 || k < 1 || k > shape.vocab() || warmup < 0 || steps < 1
                    || threads < 1) {
                throw new IllegalArgumentException("benchmark: need 2 <= seq <= ctx " + shape.ctx() + ", batch >= 1, "
                        + "1 <= k <= vocab, warmup >= 0, steps >= 1 and threads >= 1");
            }
        }

        TrainingWindows windows() {
            return new SyntheticWindows(batch * (warmup + steps), seq, shape.vocab(), k, seed);
        }

        Gpt2Lm.TensorSource weights() {
            return Gpt2Lm.randomInit(shape, seed);
        }

        AdamW.Settings optimizer() {
            return AdamW.Settings.reference(1e-3f, 1f, warmup + steps);
        }
    }

    /**
     * Timed steps of one engine: wall seconds, and process CPU seconds (less sensitive to other load on a shared
     * machine; the DJL figure also holds the JVM's own threads and one checkpoint resume and write).
     */
    public record Measurement(String engine, double seconds, double cpuSeconds, long tokens, int steps, int threads) {
        public double tokensPerSecond() {
            return tokens / seconds;
        }

        public double millisPerStep() {
            return 1000 * seconds / steps;
        }

        public double cpuMillisPerStep() {
            return 1000 * cpuSeconds / steps;
        }
    }

    private static final float BETA = 0.5f;

    private TrainingBenchmark() {
    }

    /** The DJL trainer's steps; sets this process's PyTorch threads to {@code setup.threads()}. */
    public static Measurement djl(Setup setup) throws IOException {
        TorchThreads.use(setup.threads());
        Path out = Files.createTempDirectory("memdec-bench-djl");
        TrainingOptions options = new TrainingOptions(BETA, setup.optimizer().lr(), 1, setup.batch(), setup.seed(),
                setup.optimizer().clip(), 0, 0.55f);
        TrainingWindows data = setup.windows();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            TrainingRun run = new TrainingRun(m, setup.shape(), setup.weights(), data, data.slice(0, 0), options, out,
                    Map.of(), null).progressTo(null);
            run.runUntil(setup.warmup());
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            List<TrainingState.StepLoss> timed = run.run().state().steps().subList(setup.warmup(),
                    setup.warmup() + setup.steps());
            double cpuSeconds = (os.getProcessCpuTime() - cpu0) / 1e9;
            double seconds = timed.stream().mapToDouble(TrainingState.StepLoss::seconds).sum();
            long tokens = timed.stream().mapToLong(TrainingState.StepLoss::tokens).sum();
            return new Measurement("DJL " + ai.djl.engine.Engine.getEngine("PyTorch").getVersion(), seconds, cpuSeconds,
                    tokens, setup.steps(), TorchThreads.current());
        } finally {
            deleteTree(out);
        }
    }

    /** PyTorch eager's steps on the same weights and batches, in a scratch directory removed afterwards. */
    public static Measurement torch(Setup setup) throws IOException {
        TrainingWindows data = setup.windows();
        List<List<KnnWindow>> batches = new ArrayList<>();
        for (int b = 0; b < setup.warmup() + setup.steps(); b++) {
            List<KnnWindow> windows = new ArrayList<>();
            for (int i = 0; i < setup.batch(); i++) {
                windows.add(data.window(b * setup.batch() + i));
            }
            batches.add(windows);
        }
        Path work = Files.createTempDirectory("memdec-bench-torch");
        try {
            TorchReference.Timing t = new TorchReference(setup.shape(), setup.weights(), BETA, setup.optimizer(),
                    setup.threads()).bench(batches, setup.warmup(), setup.steps(), work);
            return new Measurement("PyTorch " + t.torchVersion() + " eager", t.seconds(), t.cpuSeconds(), t.tokens(),
                    setup.steps(), t.threads());
        } finally {
            deleteTree(work);
        }
    }

    /** Mean seconds per step that the DJL trainer spends packing one batch's windows into arrays (Java side). */
    public static double packSeconds(Setup setup) {
        TrainingWindows data = setup.windows();
        int[] indices = new int[setup.batch()];
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            long nanos = 0;
            for (int b = 0; b < setup.steps(); b++) {
                List<KnnWindow> windows = new ArrayList<>();
                for (int i = 0; i < setup.batch(); i++) {
                    indices[i] = b * setup.batch() + i;
                    windows.add(data.window(indices[i]));
                }
                long start = System.nanoTime();
                try (NDManager s = m.newSubManager()) {
                    Batch.pack(s, windows, indices, setup.shape().vocab(), true);
                }
                nanos += System.nanoTime() - start;
            }
            return nanos / 1e9 / setup.steps();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

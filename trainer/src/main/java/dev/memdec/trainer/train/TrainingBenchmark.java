package dev.memdec.trainer.train;

import ai.djl.ndarray.NDManager;
import dev.memdec.trainer.model.Gpt2Lm;
import dev.memdec.trainer.model.ShapeSpec;
import dev.memdec.converter.gpt2.Gpt2Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Training throughput of the DJL trainer on synthetic kNN data: a few warm-up steps, then timed steps of the
 * full distillation step (forward, loss, backward, clipping, AdamW). Prints tokens/s.
 *
 * <p>Usage: {@code TrainingBenchmark [LxDxH=4x256x4] [seq=256] [batch=8] [steps=6] [vocab=50257] [k=32] [threads=1,2]}
 * (one measurement per listed thread count, in one run).
 */
public final class TrainingBenchmark {

    private TrainingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String spec = args.length > 0 ? args[0] : "4x256x4";
        int seq = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 6;
        int vocab = args.length > 4 ? Integer.parseInt(args[4]) : 50257;
        int k = args.length > 5 ? Integer.parseInt(args[5]) : 32;
        String[] threadCounts = (args.length > 6 ? args[6] : "1,2").split(",");
        int warmup = 2;
        Gpt2Config shape = ShapeSpec.parse("shape", spec, seq, vocab);
        TrainingWindows data = new SyntheticWindows(batch * (warmup + steps), seq, vocab, k, 1);
        for (String threads : threadCounts) {
            TorchThreads.use(Integer.parseInt(threads.trim()));
            measure(shape, data, spec, seq, batch, steps, warmup, vocab, k);
        }
    }

    private static void measure(Gpt2Config shape, TrainingWindows data, String spec, int seq, int batch, int steps,
                                int warmup, int vocab, int k) throws Exception {
        Path out = Files.createTempDirectory("memdec-train-bench");
        TrainingOptions options = new TrainingOptions(0.5f, 1e-3f, 1, batch, 1, 1f, 0, 0.55f);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            TrainingRun run = new TrainingRun(m, shape, Gpt2Lm.randomInit(shape, 1), data, data.slice(0, 0), options,
                    out, Map.of(), null).progressTo(null);
            var timed = run.run().state().steps().subList(warmup, warmup + steps);
            double seconds = timed.stream().mapToDouble(TrainingState.StepLoss::seconds).sum();
            double tokens = timed.stream().mapToLong(TrainingState.StepLoss::tokens).sum();
            System.out.printf("shape %s seq %d batch %d vocab %d k %d threads %d: %d timed steps in %.2f s = %.0f tokens/s "
                            + "(%.0f ms/step: forward, loss, backward, clipping, AdamW)%n",
                    spec, seq, batch, vocab, k, TorchThreads.current(), steps, seconds,
                    tokens / seconds, 1000 * seconds / steps);
        } finally {
            try (var s = Files.walk(out)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}

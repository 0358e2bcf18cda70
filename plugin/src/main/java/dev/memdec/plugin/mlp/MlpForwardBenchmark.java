package dev.memdec.plugin.mlp;

import static dev.memdec.plugin.DecodeBenchmark.median;

import dev.memdec.plugin.bench.MemoryBandwidth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * The MLP memory's forward against its bandwidth limit, on both {@link MlpMemory.Engine}s in one run: each round
 * measures the machine's read bandwidth (the probe {@code memdec bench} uses), then times forwards on ggml's CPU
 * kernels inside the llama.cpp runtime, then on the Java Vector API kernels, same file, thread count and key; the
 * per-round fraction of the limit ({@code weight bytes as held / bandwidth / forward time}) pairs a probe with
 * forwards taken seconds apart, so a loaded machine hits all three alike. The last two columns are the caller's CPU
 * time per forward with one thread (the compute cost, which load does not inflate the way it inflates wall time).
 *
 * <pre>java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
 *     -cp plugin/target/classes:$(cat plugin/target/classpath.txt) dev.memdec.plugin.mlp.MlpForwardBenchmark \
 *     THREADS ROUNDS MLP.gguf...</pre>
 */
public final class MlpForwardBenchmark {

    private static final long PROBE_BYTES = 512L << 20;
    private static final int FORWARDS = 16;
    private static final java.lang.management.ThreadMXBean THREAD_CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    private MlpForwardBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: MlpForwardBenchmark THREADS ROUNDS MLP.gguf...");
            System.exit(2);
        }
        int threads = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        System.out.printf("Java kernel %s, %d threads, %d rounds of %d forwards per engine, probe %d MiB%n",
                Matrix.kernel(), threads, rounds, FORWARDS, PROBE_BYTES >> 20);
        System.out.println("| file | engine | weights as held, MB | read GB/s (median) | bandwidth-bound ms | forward ms "
                + "(median / best) | fraction of the limit (median / best round) | CPU ms per forward (1 thread only) |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|");
        for (int a = 2; a < args.length; a++) {
            Path file = Path.of(args[a]);
            MlpMemory[] engines = {MlpMemory.open(file, threads, MlpMemory.Engine.GGML),
                MlpMemory.open(file, threads, MlpMemory.Engine.JAVA)};
            float[] key = new float[engines[0].config().inputWidth()];
            Random random = new Random(7);
            for (int i = 0; i < key.length; i++) {
                key[i] = (float) random.nextGaussian();
            }
            float[] logits = new float[engines[0].config().vocab()];
            for (MlpMemory m : engines) {
                time(m, key, logits, 3 * FORWARDS); // warm-up: compiled, caches and pages touched
            }
            double[] bw = new double[rounds];
            double[][] ms = new double[engines.length][rounds];
            double[][] fraction = new double[engines.length][rounds];
            double[][] cpu = new double[engines.length][rounds];
            for (int r = 0; r < rounds; r++) {
                bw[r] = MemoryBandwidth.measure(PROBE_BYTES, threads, 2);
                for (int e = 0; e < engines.length; e++) {
                    long c0 = THREAD_CPU.getCurrentThreadCpuTime();
                    ms[e][r] = time(engines[e], key, logits, FORWARDS);
                    cpu[e][r] = (THREAD_CPU.getCurrentThreadCpuTime() - c0) / 1e6 / FORWARDS;
                    fraction[e][r] = engines[e].weightBytes() / bw[r] * 1000 / ms[e][r];
                }
            }
            for (int e = 0; e < engines.length; e++) {
                long bytes = engines[e].weightBytes();
                System.out.printf("| %s | %s | %.1f | %.2f | %.2f | %.2f / %.2f | %.2f / %.2f | %s |%n",
                        file.getFileName(), engines[e].kernel(), bytes / 1e6, median(bw) / 1e9,
                        bytes / median(bw) * 1000, median(ms[e]), min(ms[e]), median(fraction[e]), max(fraction[e]),
                        threads == 1 ? String.format("%.2f", median(cpu[e])) : "-");
            }
        }
    }
    /** Mean ms of one forward over {@code n}. */
    private static double time(MlpMemory m, float[] key, float[] logits, int n) {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            m.logits(key, 0, logits);
        }
        return (System.nanoTime() - t0) / 1e6 / n;
    }

    private static double min(double[] x) {
        return Arrays.stream(x).min().orElseThrow();
    }

    private static double max(double[] x) {
        return Arrays.stream(x).max().orElseThrow();
    }
}

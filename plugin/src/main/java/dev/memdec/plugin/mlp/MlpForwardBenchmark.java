package dev.memdec.plugin.mlp;

import static dev.memdec.plugin.DecodeBenchmark.median;

import dev.memdec.plugin.bench.MemoryBandwidth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * The MLP memory's forward against its bandwidth limit, and the Vector API kernels against the scalar loops, in one
 * run. Each round measures the machine's read bandwidth (the probe {@code memdec bench} uses), then times forwards
 * with the vector kernels, then with the scalar loops, on the same file, thread count and key; the per-round
 * fraction of the limit ({@code weight bytes / bandwidth / forward time}) pairs a probe with forwards taken seconds
 * apart, so a loaded machine hits both alike.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
 *     -cp plugin/target/classes:$(cat plugin/target/classpath.txt) dev.memdec.plugin.mlp.MlpForwardBenchmark \
 *     THREADS ROUNDS MLP.gguf...</pre>
 */
public final class MlpForwardBenchmark {

    private static final long PROBE_BYTES = 512L << 20;
    private static final int FORWARDS = 16;
    /** With one thread the caller does all the work: its CPU time is the forward's compute cost, which a loaded
     * machine does not inflate the way it inflates wall time (the peer: ggml-mlp.c's last column). */
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
        System.out.printf("kernel %s, %d threads, %d rounds of %d forwards per kernel, probe %d MiB%n",
                MlpMemory.kernel(), threads, rounds, FORWARDS, PROBE_BYTES >> 20);
        System.out.println("| file | file MB | weights as held, MB | read GB/s (median) | bandwidth-bound ms | vector "
                + "forward ms (median / best) | fraction of the limit (median / best round) | scalar forward ms "
                + "(median) | vector speed-up (median of rounds) | vector CPU ms per forward (1 thread only) |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (int a = 2; a < args.length; a++) {
            Path file = Path.of(args[a]);
            MlpMemory vector = MlpMemory.open(file, threads, true);
            MlpMemory scalar = MlpMemory.open(file, threads, false);
            float[] key = new float[vector.config().inputWidth()];
            Random random = new Random(7);
            for (int i = 0; i < key.length; i++) {
                key[i] = (float) random.nextGaussian();
            }
            float[] logits = new float[vector.config().vocab()];
            time(vector, key, logits, 3 * FORWARDS); // warm-up: both kernels compiled before the first round
            time(scalar, key, logits, FORWARDS);
            double[] bw = new double[rounds];
            double[] v = new double[rounds];
            double[] s = new double[rounds];
            double[] fraction = new double[rounds];
            double[] speedUp = new double[rounds];
            double[] cpu = new double[rounds];
            long bytes = vector.weightBytes();
            for (int r = 0; r < rounds; r++) {
                bw[r] = MemoryBandwidth.measure(PROBE_BYTES, threads, 2);
                long c0 = THREAD_CPU.getCurrentThreadCpuTime();
                v[r] = time(vector, key, logits, FORWARDS);
                cpu[r] = (THREAD_CPU.getCurrentThreadCpuTime() - c0) / 1e6 / FORWARDS;
                s[r] = time(scalar, key, logits, FORWARDS);
                fraction[r] = bytes / bw[r] * 1000 / v[r];
                speedUp[r] = s[r] / v[r];
            }
            System.out.printf("| %s | %.1f | %.1f | %.2f | %.2f | %.2f / %.2f | %.2f / %.2f | %.2f | %.2f | %s |%n",
                    file.getFileName(), Files.size(file) / 1e6, bytes / 1e6, median(bw) / 1e9,
                    bytes / median(bw) * 1000, median(v), min(v), median(fraction), max(fraction), median(s),
                    median(speedUp), threads == 1 ? String.format("%.2f", median(cpu)) : "-");
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

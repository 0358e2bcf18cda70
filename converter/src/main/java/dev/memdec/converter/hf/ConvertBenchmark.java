package dev.memdec.converter.hf;

import dev.memdec.converter.gguf.GgmlType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Conversion throughput: generates a GPT-2-small-shaped HF checkpoint (F32 safetensors, about 0.55 GB with the
 * attention-mask buffers) in a temporary directory, converts it to F16 and Q8_0 GGUF a few times each and prints
 * MB/s of checkpoint tensor data read, next to the speed of plainly reading the same file in the same run: the
 * issue's target is the disk's read speed. A main class, not a test, because it takes tens of seconds.
 *
 * <p>Usage: {@code java -cp <converter classpath> dev.memdec.converter.hf.ConvertBenchmark [WORK_DIR [RUNS [cold]]]}
 * (defaults: java.io.tmpdir, 2 runs, warm). {@code cold} drops the page cache before every read (needs root, as
 * it writes /proc/sys/vm/drop_caches), so both the plain read and the conversion come from the disk; warm runs
 * read a page-cached file, where the plain read measures memory bandwidth. Everything it writes is deleted.
 */
public final class ConvertBenchmark {

    private ConvertBenchmark() {
    }

    /** CPU time of the whole process; the machine is shared, so wall time alone overstates the cost. */
    private static long cpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    /** Writes dirty pages back, then empties the page cache, so the next read of a file comes from the disk. */
    private static void dropPageCache() throws IOException {
        try {
            new ProcessBuilder("sync").inheritIO().start().waitFor();
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "1");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while syncing", e);
        } catch (IOException e) {
            throw new IOException("cold runs need to write /proc/sys/vm/drop_caches (root): " + e.getMessage(), e);
        }
    }

    /** MB/s of a plain sequential read of {@code file} into a direct buffer: the speed conversion is held to. */
    private static double plainReadMbps(Path file) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(4 << 20);
        long bytes = 0;
        long t0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file)) {
            for (int n; (n = ch.read(buffer.clear())) >= 0; ) {
                bytes += n;
            }
        }
        return bytes / 1e6 / ((System.nanoTime() - t0) / 1e9);
    }

    public static void main(String[] args) throws IOException {
        Path parent = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir"));
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        if (runs < 1) {
            throw new IllegalArgumentException("RUNS must be >= 1, got " + runs);
        }
        if (args.length > 2 && !args[2].equals("cold")) {
            throw new IllegalArgumentException("third argument must be 'cold' (or absent), got " + args[2]);
        }
        boolean cold = args.length > 2;
        Path work = Files.createTempDirectory(Files.createDirectories(parent), "memdec-convert-bench-");
        try {
            Path ckpt = work.resolve("gpt2-small-hf");
            long t0 = System.nanoTime();
            SyntheticHfCheckpoint.gpt2Small().writeTo(ckpt);
            Path tensors = ckpt.resolve("model.safetensors");
            long ckptBytes = Files.size(tensors);
            System.out.printf(Locale.ROOT, "checkpoint: GPT-2 small (12 x 768, vocab 50257), F32 safetensors %.1f MB, generated in %.1f s%n",
                    ckptBytes / 1e6, (System.nanoTime() - t0) / 1e9);
            System.out.printf(Locale.ROOT, "cores: %d, max heap %.0f MB%n", Runtime.getRuntime().availableProcessors(),
                    Runtime.getRuntime().maxMemory() / 1e6);
            System.out.printf(Locale.ROOT, "reads: %s%n", cold ? "cold (page cache dropped before each read)"
                    : "warm (page-cached checkpoint)");
            for (GgmlType type : new GgmlType[] {GgmlType.F16, GgmlType.Q8_0}) {
                double best = 0;
                double sum = 0;
                double plainSum = 0;
                HfConverter.Result last = null;
                for (int r = 0; r < runs; r++) {
                    Path out = work.resolve("out-" + type + ".gguf");
                    if (cold) {
                        dropPageCache();
                    }
                    double plain = plainReadMbps(tensors);
                    plainSum += plain;
                    if (cold) {
                        dropPageCache();
                    }
                    long cpuBefore = cpuNanos();
                    last = HfConverter.convert(ckpt, out, type);
                    double cpu = (cpuNanos() - cpuBefore) / 1e9;
                    double mbps = last.inputBytes() / 1e6 / last.seconds();
                    best = Math.max(best, mbps);
                    sum += mbps;
                    System.out.printf(Locale.ROOT, "  %-5s run %d: %.2f s wall, %.2f s cpu, %.1f MB/s in, %.1f MB out; "
                            + "plain read %.1f MB/s%n", type, r + 1, last.seconds(), cpu, mbps, last.outputBytes() / 1e6, plain);
                    Files.delete(out);
                }
                System.out.printf(Locale.ROOT, "%-5s: best %.1f MB/s, mean %.1f MB/s (checkpoint tensor bytes read per second, %d runs, "
                        + "%d tensors); plain read mean %.1f MB/s; conversion / plain read = %.2f%n",
                        type, best, sum / runs, runs, last.tensorCount(), plainSum / runs, sum / plainSum);
            }
        } finally {
            try (Stream<Path> all = Files.walk(work)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}

package dev.memdec.converter.quant;

import dev.memdec.converter.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * Encoding throughput of {@link TensorCodec} on one thread: encodes 100M normal-distributed floats
 * (a 1M-float chunk, 100 times, as the GGUF writer does) per type and prints MB/s of f32 input.
 * Run: {@code java -cp converter/target/classes dev.memdec.converter.quant.QuantizeBenchmark [millions]}.
 */
public final class QuantizeBenchmark {

    private static final int CHUNK = 1 << 20;

    private QuantizeBenchmark() {
    }

    public static void main(String[] args) {
        long total = (args.length > 0 ? Long.parseLong(args[0]) : 100) * 1_000_000L;
        float[] src = new float[CHUNK];
        Random random = new Random(42);
        for (int i = 0; i < src.length; i++) {
            src[i] = (float) random.nextGaussian();
        }
        MemorySegment dst = MemorySegment.ofArray(new byte[CHUNK * 4]);
        System.out.printf("encoding %,d floats per type, chunks of %,d%n", total, CHUNK);
        for (GgmlType type : new GgmlType[] {GgmlType.F16, GgmlType.Q8_0, GgmlType.BF16, GgmlType.Q4_0}) {
            run(type, src, dst, total / 10); // warm-up
            long start = System.nanoTime();
            long checksum = run(type, src, dst, total);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%-5s %8.1f MB/s of f32 input  (%.2f s, checksum %d)%n", type,
                    total * 4 / 1e6 / seconds, seconds, checksum);
        }
    }

    private static long run(GgmlType type, float[] src, MemorySegment dst, long total) {
        long checksum = 0;
        for (long done = 0; done < total; done += CHUNK) {
            int n = (int) Math.min(CHUNK, total - done) / 256 * 256;
            TensorCodec.encode(type, src, 0, n, dst, 0);
            checksum += dst.get(java.lang.foreign.ValueLayout.JAVA_BYTE, done % 1000);
        }
        return checksum;
    }
}

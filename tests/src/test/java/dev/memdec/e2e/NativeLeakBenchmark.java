package dev.memdec.e2e;

import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;

/**
 * Longer leak run than {@link NativeLeakE2eTest}: context+sampler create/decode/close cycles on the tiny GPT-2,
 * printing VmRSS (after a full GC) every 500 cycles, so the warm-up plateau and the flat tail are visible.
 * Usage: {@code NativeLeakBenchmark [cycles=3000]}, run with the tests module's test class path and
 * {@code --enable-native-access=ALL-UNNAMED}; a fixed heap ({@code -Xms256m -Xmx256m}) keeps Java heap resizing
 * out of the numbers.
 */
public final class NativeLeakBenchmark {
  private NativeLeakBenchmark() {}

  public static void main(String[] args) throws Exception {
    int cycles = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
    if (cycles < 1) {
      throw new IllegalArgumentException("cycles must be >= 1, got " + cycles);
    }
    try (LlamaModel model = LlamaModel.load(TinyGpt2.path(), ModelOptions.defaults())) {
      long first = NativeLeakE2eTest.settledRssKib();
      System.out.printf("cycle %5d: VmRSS %d KiB%n", 0, first);
      for (int done = 0; done < cycles; ) {
        int n = Math.min(500, cycles - done);
        NativeLeakE2eTest.contextCycles(model, n);
        done += n;
        System.out.printf("cycle %5d: VmRSS %d KiB (%+d)%n", done, NativeLeakE2eTest.settledRssKib(),
            NativeLeakE2eTest.settledRssKib() - first);
      }
    }
  }
}

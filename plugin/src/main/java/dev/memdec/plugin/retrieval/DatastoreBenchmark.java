package dev.memdec.plugin.retrieval;

import dev.memdec.converter.eval.SlidingWindows;
import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Datastore build speed against the host's own llama.cpp prefill on the same windows, alternated round by round in
 * one run (medians): entries per second of {@link DatastoreBuilder#build} (tokenize, decode with key capture, fp16
 * keys, checksums, atomic files) over prefill tokens per second (the same windows decoded without capture, with one
 * output row: what the build decodes, since its keys come from {@code ffn_inp} of every row and a Java FFN norm; and,
 * for reference, with every row as output, which is what capturing the {@code ffn_norm-<last>} node would cost, as
 * llama.cpp prunes the last block to output rows). With stride = ctx every token but each window's first is an
 * entry, so the ratio is the build's efficiency; with a smaller stride a window yields only {@code stride} entries
 * for {@code ctx} decoded tokens.
 * Not a test: run it by hand.
 *
 * <pre>java -cp ... dev.memdec.plugin.retrieval.DatastoreBenchmark HOST.gguf CORPUS.txt [ctx=512] [stride=ctx]
 *     [threads=2] [rounds=3]</pre>
 */
public final class DatastoreBenchmark {

    private DatastoreBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: DatastoreBenchmark HOST.gguf CORPUS.txt [ctx] [stride] [threads] "
                    + "[rounds]");
        }
        Path host = Path.of(args[0]);
        Path corpus = Path.of(args[1]);
        int ctx = args.length > 2 ? Integer.parseInt(args[2]) : 512;
        int stride = args.length > 3 ? Integer.parseInt(args[3]) : ctx;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        int rounds = args.length > 5 ? Integer.parseInt(args[5]) : 3;
        DatastoreBuilder.Options options = new DatastoreBuilder.Options(ctx, stride, KeyType.FFN_INPUT, threads);
        double[] prefill = new double[rounds];
        double[] prefillAll = new double[rounds];
        double[] build = new double[rounds];
        long entries = 0;
        long decoded = 0;
        Path dir = Files.createTempDirectory("memdec-datastore-bench");
        try {
            for (int r = 0; r < rounds; r++) {
                long[] counted = new long[1];
                prefill[r] = prefillTokensPerSecond(host, corpus, options, false, counted);
                prefillAll[r] = prefillTokensPerSecond(host, corpus, options, true, counted);
                decoded = counted[0];
                Path out = dir.resolve("ds" + r);
                long t0 = System.nanoTime();
                DatastoreManifest m = DatastoreBuilder.build(host, List.of(corpus), out, options,
                        new DatastoreBuilder.Progress() {
                            @Override
                            public void start(long totalEntries, long entriesDone) {
                            }

                            @Override
                            public void step(long n) {
                            }
                        });
                build[r] = m.count() / ((System.nanoTime() - t0) / 1e9);
                entries = m.count();
                delete(out);
            }
        } finally {
            delete(dir);
        }
        double p = median(prefill);
        double b = median(build);
        System.out.printf(Locale.ROOT, "host %s, corpus %s: %d entries from %d decoded tokens (ctx %d, stride %d, "
                + "%d threads, %d rounds)%n", host.getFileName(), corpus.getFileName(), entries, decoded, ctx, stride,
                threads, rounds);
        double all = median(prefillAll);
        System.out.printf(Locale.ROOT, "llama.cpp prefill (last row's logits only): %.0f tokens/s%n", p);
        System.out.printf(Locale.ROOT, "llama.cpp prefill (every row's logits):     %.0f tokens/s%n", all);
        System.out.printf(Locale.ROOT, "datastore build:                            %.0f entries/s%n", b);
        System.out.printf(Locale.ROOT, "build entries/s / prefill tokens/s: %.3f (vs every-row prefill: %.3f)%n", b / p,
                b / all);
    }

    /**
     * Decodes the build's windows (same tokens, context and batch) without capture, with one output row each (as the
     * build does) or with an output row for every token.
     */
    private static double prefillTokensPerSecond(Path host, Path corpus, DatastoreBuilder.Options o, boolean everyRow,
                                                 long[] decoded)
            throws IOException {
        try (LlamaModel model = LlamaModel.load(host, ModelOptions.defaults());
             LlamaContext context = LlamaContext.create(model, ContextOptions.defaults().withNCtx(o.ctx())
                     .withBatch(o.ctx(), Math.min(o.ctx(), 512)).withThreads(o.threads(), o.threads()))) {
            int[] tokens = DatastoreBuilder.tokenize(model.vocab(), corpus);
            long t0 = System.nanoTime();
            long n = 0;
            for (SlidingWindows.Window w : SlidingWindows.of(tokens.length, o.ctx(), o.stride())) {
                context.kvClear();
                context.decode(Arrays.copyOfRange(tokens, w.begin(), w.end()), 0, everyRow);
                n += w.length();
            }
            decoded[0] = n;
            return n / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static void delete(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

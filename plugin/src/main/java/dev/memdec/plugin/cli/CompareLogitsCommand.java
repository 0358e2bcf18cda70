package dev.memdec.plugin.cli;

import com.google.gson.GsonBuilder;
import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.converter.io.TextFiles;
import dev.memdec.plugin.LogitComparison;
import dev.memdec.plugin.RuntimeOptions;
import dev.memdec.plugin.TrainingContext;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code memdec compare-logits}: KL(ref‖test), top-token agreement and both perplexities over the same sliding
 * windows, e.g. to check a quantized GGUF against its F32 original (llama-perplexity's --kl-divergence).
 */
@Command(name = "compare-logits", mixinStandardHelpOptions = true,
        description = {"Compare the next-token distributions of a test model with a reference model on a text:",
                "mean KL(ref||test) in nats with its standard error, max and 99th-percentile KL, same-top-token "
                        + "rate, and both perplexities. Both models must share the tokenizer."})
public final class CompareLogitsCommand implements MemdecCommand {

    private static final int DEFAULT_CTX = 512;

    @Mixin
    RuntimeChoice runtimeChoice;

    @Spec
    CommandSpec spec;

    @Option(names = "--ref", required = true, paramLabel = "A.gguf", description = "Reference model (GGUF).")
    Path ref;

    @Option(names = "--test", required = true, paramLabel = "B.gguf",
            description = "Model compared with the reference (GGUF, same tokenizer).")
    Path test;

    @Option(names = "--text", required = true, paramLabel = "FILE", description = "UTF-8 text to score.")
    Path text;

    @Option(names = "--ctx", paramLabel = "N",
            description = "Window length in tokens, in [2, training context] (default: 512, capped by both models' "
                    + "training context).")
    Integer ctxFlag;

    @Option(names = "--stride", paramLabel = "N",
            description = "Window stride in tokens, in [1, ctx] (default: half of --ctx, as the reference scores).")
    Integer stride;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads per decode (default: all cores).")
    Integer threads;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "0",
            description = "Use only the first N tokens of the text; 0 = all (default).")
    int maxTokens;

    @Option(names = "--json", description = "Print the statistics as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        int ctx = ctxFlag != null ? ctxFlag
                : Math.min(DEFAULT_CTX, TrainingContext.min(ref, "--ref", test, "--test"));
        int stride = this.stride != null ? this.stride : Math.max(1, ctx / 2);
        // --ctx, --stride and --max-tokens are checked by LogitComparison.compare before any model is loaded.
        if (threads != null && threads < 1) {
            throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        }
        if (!Files.isRegularFile(text)) {
            throw new IllegalArgumentException("--text file not found: " + text);
        }
        RuntimeOptions options = RuntimeOptions.defaults();
        if (threads != null) {
            options = options.withThreads(threads);
        }
        String content = TextFiles.decodeUtf8("--text " + text, Files.readAllBytes(text));
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long start = System.nanoTime();
        LogitComparison.Report r = LogitComparison.compare(ref, test, content, ctx, stride, maxTokens, options,
                done -> {
                    if (!json && done % 10 == 0) {
                        err.printf("compare-logits: %d windows, %.0f s%n", done, (System.nanoTime() - start) / 1e9);
                        err.flush();
                    }
                });
        if (json) {
            out.println(new GsonBuilder().setPrettyPrinting().create().toJson(toJson(r)));
        } else {
            out.printf("tokens %d, windows %d (ctx %d, stride %d)%n", r.tokens(), r.windows(), ctx, stride);
            out.printf("mean KL(ref||test)  %.4e +/- %.1e nats%n", r.meanKl(), r.klStdError());
            out.printf("max KL              %.4e nats%n", r.maxKl());
            out.printf("99th pct KL         %.4e nats%n", r.p99Kl());
            out.printf("same top token      %.3f +/- %.3f %%%n", 100 * r.sameTopRate(), 100 * r.sameTopStdError());
            out.printf("ppl ref %.4f, test %.4f, test/ref %.6f%n", r.refPpl(), r.testPpl(), r.pplRatio());
        }
        out.flush();
        return 0;
    }

    static Map<String, Object> toJson(LogitComparison.Report r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens", r.tokens());
        m.put("windows", r.windows());
        m.put("mean_kl", r.meanKl());
        m.put("mean_kl_stderr", r.klStdError());
        m.put("max_kl", r.maxKl());
        m.put("p99_kl", r.p99Kl());
        m.put("same_top_percent", 100 * r.sameTopRate());
        m.put("same_top_percent_stderr", 100 * r.sameTopStdError());
        m.put("ref_ppl", r.refPpl());
        m.put("test_ppl", r.testPpl());
        m.put("ppl_ratio", r.pplRatio());
        return m;
    }
}

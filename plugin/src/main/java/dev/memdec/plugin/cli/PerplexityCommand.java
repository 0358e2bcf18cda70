package dev.memdec.plugin.cli;

import com.google.gson.GsonBuilder;
import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.converter.io.TextFiles;
import dev.memdec.plugin.HostModel;
import dev.memdec.plugin.MemoryModel;
import dev.memdec.plugin.PerplexityPlot;
import dev.memdec.plugin.PerplexityReport;
import dev.memdec.plugin.TrainingContext;
import dev.memdec.plugin.mix.MixMode;
import dev.memdec.plugin.mix.Mixing;
import dev.memdec.plugin.mlp.MlpMemory;
import dev.memdec.plugin.retrieval.KnnRetriever;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code memdec perplexity}: sliding-window perplexity of the host alone and mixed, all λ from one pass. */
@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = "Sliding-window perplexity (window --ctx, stride --stride) of a text under the host alone, "
                + "mixed with a memory, and mixed with live kNN retrieval (--knn, a kNN-LM) at one or more lambdas, "
                + "each window decoded once per model.")
public final class PerplexityCommand implements MemdecCommand {

    static final int DEFAULT_CTX = 1024;

    @Mixin
    RuntimeChoice runtimeChoice;

    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeFlags runtime;

    @Mixin
    MixFlag mix;

    static final class Lambdas {
        @Option(names = "--lambda", paramLabel = "L", description = "One memory weight in [0, 1].")
        Double lambda;

        @Option(names = "--lambda-sweep", paramLabel = "a,b,...", split = ",",
                description = "Several memory weights in [0, 1], evaluated from the same logits.")
        List<Double> sweep;

        List<Double> values() {
            return lambda != null ? List.of(lambda) : List.copyOf(sweep);
        }
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Lambdas lambdas;

    @Option(names = "--memory-temp", paramLabel = "T", defaultValue = "1.0",
            description = "Temperature dividing the memory's logits, > 0 (default: ${DEFAULT-VALUE}).")
    double memoryTemp;

    @Option(names = "--text", required = true, paramLabel = "FILE", description = "UTF-8 text to score.")
    Path text;

    @Option(names = "--ctx", paramLabel = "N",
            description = "Window length in tokens (default: " + DEFAULT_CTX + ", capped by the training context of "
                    + "--host and --memory).")
    Integer ctxFlag;

    @Option(names = "--stride", paramLabel = "N",
            description = "Window stride in tokens, in [1, ctx] (default: half of --ctx, as the reference scores).")
    Integer stride;

    @Mixin
    KnnFlags knnFlags;

    @Option(names = "--json", description = "Print tokens, host_ppl, joint [{lambda, ppl}] and knn_lm [{lambda, ppl}] "
            + "as JSON.")
    boolean json;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Write a PNG of perplexity against lambda.")
    Path plot;

    @Override
    public Integer call() throws Exception {
        int ctx = ctxFlag != null ? ctxFlag
                : Math.min(DEFAULT_CTX, TrainingContext.min(runtime.host, "--host", runtime.memory, "--memory"));
        if (ctx < 2) {
            throw new IllegalArgumentException("--ctx must be >= 2, got " + ctx);
        }
        int stride = this.stride != null ? this.stride : Math.max(1, ctx / 2);
        if (stride < 1 || stride > ctx) {
            throw new IllegalArgumentException("--stride must be in [1, --ctx=" + ctx + "], got " + stride);
        }
        MixMode mode = mix.mode();
        MlpMemory mlp = runtime.mlpMemory();
        List<Double> lambdaList = lambdas != null ? lambdas.values()
                : List.of(mlp != null ? (double) mlp.config().defaultLambda() : Mixing.DEFAULT_LAMBDA);
        if (runtime.memory == null && !knnFlags.present() && lambdas != null) {
            throw new IllegalArgumentException("--lambda/--lambda-sweep need --memory or --knn");
        }
        knnFlags.validate();
        for (double l : lambdaList) {
            new Mixing(l, memoryTemp); // validates both before any model is loaded
        }
        if (plot != null && runtime.memory == null) {
            throw new IllegalArgumentException("--plot needs --memory");
        }
        if (!Files.isRegularFile(text)) {
            throw new IllegalArgumentException("--text file not found: " + text);
        }
        String content = TextFiles.decodeUtf8("--text " + text, Files.readAllBytes(text));
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PerplexityReport report;
        try (KnnRetriever knn = knnFlags.open(runtime.host);
             HostModel host = HostModel.open(runtime.host, runtime.options(ctx), knn, mlp);
             MemoryModel memory = runtime.memory == null || mlp != null ? null
                     : MemoryModel.open(runtime.memory, runtime.options(ctx))) {
            if (memory != null) {
                host.attach(memory);
            }
            long start = System.nanoTime();
            report = host.perplexity(content, ctx, stride, lambdaList, memoryTemp, mode, done -> {
                if (!json && done % 10 == 0) {
                    err.printf("perplexity: %d windows, %.0f s%n", done, (System.nanoTime() - start) / 1e9);
                    err.flush();
                }
            });
        }
        if (json) {
            Map<String, Object> m = toJson(report);
            if (runtime.memory != null) {
                m.put("mix", mode.jsonName());
            }
            out.println(new GsonBuilder().setPrettyPrinting().create().toJson(m));
        } else {
            out.printf("tokens %d, windows %d%n", report.tokens(), report.windows());
            out.printf("host ppl %.4f%n", report.hostPpl());
            for (PerplexityReport.Joint j : report.joint()) {
                out.printf("joint ppl %.4f  (lambda %.3f, memory temp %.3f, mix %s)%n", j.ppl(), j.lambda(),
                        j.memoryTemperature(), mode.jsonName());
            }
            for (PerplexityReport.Joint j : report.knn()) {
                out.printf("knn-lm ppl %.4f  (lambda %.3f, knn temp %.3f)%n", j.ppl(), j.lambda(), j.memoryTemperature());
            }
        }
        if (plot != null) {
            PerplexityPlot.write(report, "perplexity vs lambda: " + text.getFileName(), plot);
            if (!json) {
                out.println("plot written to " + plot);
            }
        }
        out.flush();
        return 0;
    }

    static Map<String, Object> toJson(PerplexityReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens", r.tokens());
        m.put("windows", r.windows());
        m.put("host_ppl", r.hostPpl());
        m.put("host_nll", r.hostNll());
        List<Map<String, Object>> joint = new ArrayList<>();
        for (PerplexityReport.Joint j : r.joint()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("lambda", j.lambda());
            e.put("memory_temp", j.memoryTemperature());
            e.put("ppl", j.ppl());
            e.put("nll", j.nll());
            joint.add(e);
        }
        m.put("joint", joint);
        r.best().ifPresent(b -> m.put("best_lambda", b.lambda()));
        if (!r.knn().isEmpty()) {
            List<Map<String, Object>> knn = new ArrayList<>();
            for (PerplexityReport.Joint j : r.knn()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("lambda", j.lambda());
                e.put("knn_temp", j.memoryTemperature());
                e.put("ppl", j.ppl());
                e.put("nll", j.nll());
                knn.add(e);
            }
            m.put("knn_lm", knn);
        }
        return m;
    }
}

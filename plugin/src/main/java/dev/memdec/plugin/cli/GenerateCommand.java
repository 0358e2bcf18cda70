package dev.memdec.plugin.cli;

import com.google.gson.GsonBuilder;
import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.converter.io.TextFiles;
import dev.memdec.plugin.GeneratedToken;
import dev.memdec.plugin.Generation;
import dev.memdec.plugin.GenerationRequest;
import dev.memdec.plugin.GenerationResult;
import dev.memdec.plugin.HostModel;
import dev.memdec.plugin.MemoryModel;
import dev.memdec.plugin.Sampling;
import dev.memdec.plugin.mix.MixMode;
import dev.memdec.plugin.mix.Mixing;
import dev.memdec.plugin.mlp.MlpMemory;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code memdec generate}: continue a prompt with the host, optionally mixed with a memory. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text with a host model, mixing in a memory decoder (streams tokens to stdout).")
public final class GenerateCommand implements MemdecCommand {

    @Mixin
    RuntimeChoice runtimeChoice;

    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeFlags runtime;

    @Mixin
    MixFlag mix;

    @Option(names = "--lambda", paramLabel = "L",
            description = "Memory weight in [0, 1] (default 0.55 with --memory; an MLP memory's own default).")
    Double lambda;

    @Option(names = "--memory-temp", paramLabel = "T", defaultValue = "1.0",
            description = "Temperature dividing the memory's logits, > 0 (default: ${DEFAULT-VALUE}).")
    double memoryTemp;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "Text to continue.")
    String prompt;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "64",
            description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--greedy", description = "Always take the most likely token.")
    boolean greedy;

    @Option(names = "--temp", paramLabel = "T", description = "Sampling temperature > 0 (default 0.8).")
    Float temp;

    @Option(names = "--top-k", paramLabel = "K", description = "Keep the K best tokens, 0 = off (default 40).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus mass in (0, 1] (default 0.95).")
    Float topP;

    @Option(names = "--min-p", paramLabel = "P", description = "Min-p in [0, 1) (default 0.05).")
    Float minP;

    @Option(names = "--seed", paramLabel = "S", description = "Sampling seed >= 0 (default: random).")
    Integer seed;

    @Option(names = "--repeat-penalty", paramLabel = "R", description = "Repetition penalty >= 0, 1 = off (default 1).")
    Float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", defaultValue = "64",
            description = "Tokens the repetition penalty looks back over (default: ${DEFAULT-VALUE}).")
    int repeatLastN;

    @Option(names = "--grammar-file", paramLabel = "FILE.gbnf", description = "Constrain output to a GBNF grammar (root rule 'root').")
    Path grammarFile;

    @Option(names = "--stop", paramLabel = "S", description = "Stop before this string (repeatable).")
    List<String> stop = new ArrayList<>();

    @Option(names = "--ctx", paramLabel = "N", defaultValue = "0",
            description = "Context size in tokens (default: the host's training context).")
    int ctx;

    @Option(names = "--json", description = "Print {text, tokens, token_ids, finish_reason, timings} as JSON instead of streaming.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        MixMode mode = mix.mode();
        MlpMemory mlp = runtime.mlpMemory();
        GenerationRequest request = GenerationRequest.of(prompt).withMaxTokens(checkMaxTokens())
                .withSampling(sampling()).withStop(stop.toArray(String[]::new));
        if (runtime.memory == null && lambda != null && lambda != 0) {
            throw new IllegalArgumentException("--lambda " + lambda + " needs --memory");
        }
        if (runtime.memory != null) {
            double defaultLambda = mlp != null ? mlp.config().defaultLambda() : Mixing.DEFAULT_LAMBDA;
            request = request.withMixing(new Mixing(lambda != null ? lambda : defaultLambda, memoryTemp, mode));
        }
        PrintWriter out = spec.commandLine().getOut();
        try (HostModel host = HostModel.open(runtime.host, runtime.options(ctx), null, mlp);
             MemoryModel memory = runtime.memory == null || mlp != null ? null
                     : MemoryModel.open(runtime.memory, runtime.options(ctx))) {
            if (memory != null) {
                host.attach(memory);
            }
            if (json) {
                out.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create()
                        .toJson(toJson(host.complete(request))));
            } else {
                try (Generation g = host.generate(request)) {
                    for (GeneratedToken t : g) {
                        out.print(t.text());
                        out.flush();
                    }
                    out.println();
                }
            }
        }
        out.flush();
        return 0;
    }

    private int checkMaxTokens() {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be >= 1, got " + maxTokens);
        }
        return maxTokens;
    }

    private Sampling sampling() throws java.io.IOException {
        if (greedy && (temp != null || topK != null || topP != null || minP != null || seed != null)) {
            throw new IllegalArgumentException("--greedy cannot be combined with --temp, --top-k, --top-p, --min-p or --seed");
        }
        if (temp != null && !(temp > 0)) {
            throw new IllegalArgumentException("--temp must be > 0 (use --greedy for argmax), got " + temp);
        }
        Sampling s = greedy ? Sampling.greedy() : Sampling.defaults();
        if (temp != null) {
            s = s.withTemperature(temp);
        }
        if (topK != null) {
            s = s.withTopK(topK);
        }
        if (topP != null) {
            s = s.withTopP(topP);
        }
        if (minP != null) {
            s = s.withMinP(minP);
        }
        if (seed != null) {
            if (seed < 0) {
                throw new IllegalArgumentException("--seed must be >= 0, got " + seed);
            }
            s = s.withSeed(seed);
        }
        if (repeatPenalty != null) {
            s = s.withRepeatPenalty(repeatPenalty, repeatLastN);
        }
        if (grammarFile != null) {
            if (!Files.isRegularFile(grammarFile)) {
                throw new IllegalArgumentException("--grammar-file not found: " + grammarFile);
            }
            s = s.withGrammar(TextFiles.decodeUtf8("--grammar-file " + grammarFile, Files.readAllBytes(grammarFile)));
        }
        return s;
    }

    static Map<String, Object> toJson(GenerationResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", r.text());
        m.put("tokens", r.tokens());
        m.put("token_ids", r.tokenIds());
        m.put("finish_reason", r.finish().jsonName());
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("prompt_tokens", r.timings().promptTokens());
        t.put("prompt_ms", r.timings().promptMillis());
        t.put("prompt_tokens_per_second", r.timings().promptTokensPerSecond());
        t.put("generated_tokens", r.timings().generatedTokens());
        t.put("generation_ms", r.timings().generationMillis());
        t.put("tokens_per_second", r.timings().tokensPerSecond());
        t.put("mix_ms", r.timings().mixMillis());
        m.put("timings", t);
        return m;
    }
}

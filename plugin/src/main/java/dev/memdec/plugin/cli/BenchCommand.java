package dev.memdec.plugin.cli;

import com.google.gson.GsonBuilder;
import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.natives.llama.LlamaRuntime;
import dev.memdec.plugin.BenchmarkReport;
import dev.memdec.plugin.DecodeBenchmark;
import dev.memdec.plugin.HostModel;
import dev.memdec.plugin.MemoryModel;
import dev.memdec.plugin.TrainingContext;
import dev.memdec.plugin.mix.MixMode;
import dev.memdec.plugin.mlp.MlpMemory;
import dev.memdec.plugin.retrieval.KnnRetriever;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code memdec bench}: host alone vs memory alone vs both mixed, measured in one run. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Decode and prefill speed of the host alone, the memory alone, both mixed, with --mlp-memory the "
                + "host mixed with an MLP memory and, with --knn, the host with live kNN retrieval (phases alternated "
                + "in one run; each joint step also as a ratio to the host's), the mixing share of a step, peak RSS, read bandwidth and how close "
                + "decoding gets to the bandwidth limit.")
public final class BenchCommand implements MemdecCommand {

    static final int DEFAULT_TOKENS = 64;
    static final int DEFAULT_PROMPT = 128;
    static final int CONTEXT_SLACK = 8;

    @Mixin
    RuntimeChoice runtimeChoice;

    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeFlags runtime;

    @Mixin
    MixFlag mix;

    @Option(names = "--tokens", paramLabel = "N",
            description = "Decode steps per phase and round (default: " + DEFAULT_TOKENS + ", capped so that prompt, "
                    + "decode and " + CONTEXT_SLACK + " spare tokens fit the models' training context).")
    Integer tokensFlag;

    @Option(names = "--prompt-tokens", paramLabel = "N",
            description = "Prefill length per phase (default: " + DEFAULT_PROMPT + ", capped like --tokens: two "
                    + "thirds of what the training context leaves).")
    Integer promptFlag;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "3",
            description = "Rounds of alternating phases; medians are reported (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Mixin
    KnnFlags knnFlags;

    @Option(names = "--mlp-memory", paramLabel = "MLP.gguf",
            description = "Also time the host mixed with this MLP memory, beside the memory decoder (and --knn).")
    Path mlpMemory;

    @Option(names = "--json", description = "Print the measurements as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (runtime.memory == null) {
            throw new IllegalArgumentException("bench needs --memory");
        }
        MixMode mode = mix.mode();
        int promptTokens;
        int tokens;
        if (promptFlag != null && tokensFlag != null) {
            promptTokens = promptFlag;
            tokens = tokensFlag;
        } else {
            int room = TrainingContext.min(runtime.host, "--host", runtime.memory, "--memory") - CONTEXT_SLACK;
            // At least one token each: an explicit length that leaves no room is refused by HostModel.open, naming
            // the context size and the host's training context.
            promptTokens = promptFlag != null ? promptFlag
                    : Math.max(1, Math.min(DEFAULT_PROMPT, tokensFlag != null ? room - tokensFlag : room * 2 / 3));
            tokens = tokensFlag != null ? tokensFlag : Math.max(1, Math.min(DEFAULT_TOKENS, room - promptTokens));
        }
        if (tokens < 1 || promptTokens < 1 || rounds < 1) {
            throw new IllegalArgumentException("--tokens, --prompt-tokens and --rounds must be >= 1");
        }
        knnFlags.validate();
        MlpMemory mlp = mlpMemory == null ? null : MlpMemory.open(mlpMemory, runtime.threads(), runtime.mlpEngine.engine());
        int ctx = promptTokens + tokens + CONTEXT_SLACK;
        BenchmarkReport r;
        try (KnnRetriever knn = knnFlags.open(runtime.host);
             HostModel host = HostModel.open(runtime.host, runtime.options(ctx), knn, mlp);
             MemoryModel memory = MemoryModel.open(runtime.memory, runtime.options(ctx))) {
            host.attach(memory);
            r = DecodeBenchmark.run(host, memory, promptTokens, tokens, rounds, runtime.threads(), mode, mlp);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = toJson(r);
            if (mlp != null) {
                m.put("mlp_kernel", mlp.kernel());
            }
            m.put("prompt_tokens", promptTokens);
            m.put("mix", mode.jsonName());
            LlamaRuntime rt = LlamaRuntime.get();
            m.put("runtime", rt.profile().id());
            m.put("gpu_backend", rt.gpuBackend().id());
            m.put("gpu_devices", rt.gpuDevices());
            out.println(new GsonBuilder().setPrettyPrinting().create().toJson(m));
        } else {
            out.printf("| measure | value |%n|---|---:|%n");
            out.printf("| host decode (tok/s, ms/step) | %.2f, %.2f |%n", r.hostTps(), r.hostDecodeMs());
            out.printf("| memory decode (tok/s, ms/step) | %.2f, %.2f |%n", r.memoryTps(), r.memoryDecodeMs());
            out.printf("| host+memory decode (tok/s, ms/step) | %.2f, %.2f |%n", r.jointTps(), r.jointDecodeMs());
            out.printf("| host+memory step / host step | %.3f |%n", r.jointOverHost());
            double[] spread = r.roundRatios();
            Arrays.sort(spread);
            out.printf("| joint / (host + memory) (median of the rounds' ratios; their range) | %.3f (%.3f-%.3f) |%n",
                    r.jointOverSum(), spread[0], spread[spread.length - 1]);
            out.printf("| host's decode in a joint step (ms; its step alone, decode + greedy: %.3f) | %.3f |%n",
                    r.hostDecodeMs(), r.jointHostDecodeMs());
            out.printf("| memory's decode in a joint step (ms; its step alone, decode + greedy: %.3f) | %.3f |%n",
                    r.memoryDecodeMs(), r.jointMemoryDecodeMs());
            out.printf("| mixing per step (ms, share of joint step) | %.3f, %.2f%% |%n", r.mixMs(), 100 * r.mixShare());
            out.printf("| rest of a joint step (ms: memory logits copy, sampler chain, greedy) | %.3f |%n",
                    r.jointOtherMs());
            if (r.hasKnn()) {
                out.printf("| host+kNN-LM decode (tok/s, ms/step; k=%d) | %.2f, %.2f |%n", r.knnK(), 1000 / r.knnDecodeMs(),
                        r.knnDecodeMs());
                out.printf("| kNN-LM step / host step | %.3f |%n", r.knnOverHost());
                out.printf("| kNN retrieval + mixing per step (ms) | %.3f |%n", r.knnRetrievalMs());
                out.printf("| kNN-LM step / memory-decoder step | %.3f |%n", r.knnOverJoint());
            }
            if (r.hasMlp()) {
                out.printf("| host+MLP memory decode (tok/s, ms/step) | %.2f, %.2f |%n", 1000 / r.mlpDecodeMs(),
                        r.mlpDecodeMs());
                out.printf("| host+MLP memory step / host step | %.3f |%n", r.mlpOverHost());
                out.printf("| MLP forward per step (ms; weights %.1f MB as held at run time; %s) | %.3f |%n",
                        r.mlpBytes() / 1e6, mlp.kernel(), r.mlpForwardMs());
                out.printf("| MLP forward bandwidth-limit fraction | %.2f |%n", r.mlpBandwidthLimitFraction());
                out.printf("| MLP forward alone, back to back (ms; bandwidth-limit fraction) | %.3f, %.2f |%n",
                        r.mlpAloneMs(), r.mlpAloneBandwidthLimitFraction());
                out.printf("| MLP forward in a step / alone | %.2f |%n", r.mlpInStepOverAlone());
                out.printf("| MLP-memory step / memory-decoder step | %.3f |%n", r.mlpOverJoint());
                if (r.hasKnn()) {
                    out.printf("| kNN-LM step / MLP-memory step | %.3f |%n", r.knnDecodeMs() / r.mlpDecodeMs());
                }
            }
            out.printf("| prefill host alone (tok/s) | %.1f |%n", r.hostPrefillTps());
            out.printf("| prefill host+memory (tok/s) | %.1f |%n", r.jointPrefillTps());
            out.printf("| peak RSS (MiB) | %.0f |%n", r.peakRssBytes() / 1048576.0);
            out.printf("| read bandwidth (GB/s, %d threads) | %.2f |%n", r.threads(), r.readBandwidth() / 1e9);
            out.printf("| weights read per joint token (MB; one row of each looked-up embedding table) | %.1f |%n",
                    (r.hostBytes() + r.memoryBytes()) / 1e6);
            out.printf("| bandwidth-bound joint step (ms) | %.2f |%n", r.bandwidthBoundMs());
            out.printf("| bandwidth-limit fraction (joint step) | %.2f |%n", r.bandwidthLimitFraction());
            out.printf("| bandwidth-limit fraction (host step) | %.2f |%n", r.hostBandwidthLimitFraction());
            LlamaRuntime rt = LlamaRuntime.get();
            out.printf("(vocab %d, %d-token prompt, %d steps x %d rounds, %d threads, mix %s; llama.cpp %s%s)%n", r.vocab(),
                    promptTokens, r.tokens(), r.rounds(), r.threads(), mode.jsonName(), rt.profile().id(),
                    rt.gpuDevices().isEmpty() ? ", CPU" : ", " + rt.gpuBackend() + " on " + String.join(", ", rt.gpuDevices())
                            + "; the bandwidth rows are the CPU's");
        }
        out.flush();
        return 0;
    }

    static Map<String, Object> toJson(BenchmarkReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("host_tokens_per_second", r.hostTps());
        m.put("memory_tokens_per_second", r.memoryTps());
        m.put("joint_tokens_per_second", r.jointTps());
        m.put("host_ms_per_token", r.hostDecodeMs());
        m.put("memory_ms_per_token", r.memoryDecodeMs());
        m.put("joint_ms_per_token", r.jointDecodeMs());
        m.put("joint_over_host_plus_memory", r.jointOverSum());
        m.put("joint_over_host_plus_memory_rounds", r.roundRatios());
        m.put("mix_ms_per_token", r.mixMs());
        m.put("mix_share", r.mixShare());
        m.put("joint_host_decode_ms_per_token", r.jointHostDecodeMs());
        m.put("joint_memory_decode_ms_per_token", r.jointMemoryDecodeMs());
        m.put("joint_other_ms_per_token", r.jointOtherMs());
        m.put("joint_over_host", r.jointOverHost());
        if (r.hasKnn()) {
            m.put("knn_lm_tokens_per_second", 1000 / r.knnDecodeMs());
            m.put("knn_lm_ms_per_token", r.knnDecodeMs());
            m.put("knn_retrieval_ms_per_token", r.knnRetrievalMs());
            m.put("knn_lm_over_joint", r.knnOverJoint());
            m.put("knn_lm_over_host", r.knnOverHost());
            m.put("knn_k", r.knnK());
        }
        if (r.hasMlp()) {
            m.put("mlp_ms_per_token", r.mlpDecodeMs());
            m.put("mlp_forward_ms_per_token", r.mlpForwardMs());
            m.put("mlp_bytes", r.mlpBytes());
            m.put("mlp_bandwidth_limit_fraction", r.mlpBandwidthLimitFraction());
            m.put("mlp_forward_alone_ms", r.mlpAloneMs());
            m.put("mlp_alone_bandwidth_limit_fraction", r.mlpAloneBandwidthLimitFraction());
            m.put("mlp_forward_in_step_over_alone", r.mlpInStepOverAlone());
            m.put("mlp_over_joint", r.mlpOverJoint());
            m.put("mlp_over_host", r.mlpOverHost());
        }
        m.put("host_prefill_tokens_per_second", r.hostPrefillTps());
        m.put("joint_prefill_tokens_per_second", r.jointPrefillTps());
        m.put("peak_rss_bytes", r.peakRssBytes());
        m.put("read_bandwidth_bytes_per_second", r.readBandwidth());
        m.put("host_bytes", r.hostBytes());
        m.put("memory_bytes", r.memoryBytes());
        m.put("bandwidth_bound_ms_per_token", r.bandwidthBoundMs());
        m.put("bandwidth_limit_fraction", r.bandwidthLimitFraction());
        m.put("host_bandwidth_limit_fraction", r.hostBandwidthLimitFraction());
        m.put("vocab", r.vocab());
        m.put("tokens", r.tokens());
        m.put("rounds", r.rounds());
        m.put("threads", r.threads());
        return m;
    }
}

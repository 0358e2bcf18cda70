package dev.memdec.plugin.cli;

import dev.memdec.converter.cli.CliFiles;
import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.gguf.GgufValue;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.converter.mlp.MlpMemoryGguf;
import dev.memdec.converter.mlp.RandomMlpWeights;
import dev.memdec.natives.llama.LlamaContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code memdec init-mlp}: a random-weight MLP memory shaped for a given host, for tests and benchmarks. */
@Command(name = "init-mlp", mixinStandardHelpOptions = true,
        description = "Write a random-weight MLP memory for --host (reads its last block's FFN input; the host's width, "
                + "vocabulary and tokenizer hash), for tests and benchmarks.")
public final class InitMlpCommand implements MemdecCommand {

    @Option(names = "--host", required = true, paramLabel = "H.gguf", description = "The host the memory is shaped for.")
    Path host;

    @Option(names = "--blocks", required = true, paramLabel = "N", description = "Residual MLP blocks, >= 1.")
    int blocks;

    @Option(names = "--width", paramLabel = "W", description = "Memory width (default: the host's n_embd; another "
            + "width adds an input projection).")
    Integer width;

    @Option(names = "--flavour", paramLabel = "gpt2|llama",
            description = "gpt2: LayerNorm + 4x GELU MLP; llama: RMSNorm + SwiGLU (default: the host's family).")
    String flavour;

    @Option(names = "--type", defaultValue = "f32", paramLabel = "T",
            description = "Matrix type: f32 (default), f16, bf16, q8_0 or q4_0.")
    String type;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "M.gguf", description = "Output file (.gguf).")
    Path out;

    @Override
    public Integer call() throws Exception {
        CliFiles.existingFile(host, "--host");
        if (!out.getFileName().toString().endsWith(".gguf")) {
            throw new IllegalArgumentException("--out: file name must end in .gguf, got '" + out + "'");
        }
        if (blocks < 1) {
            throw new IllegalArgumentException("--blocks must be >= 1, got " + blocks);
        }
        GgmlType storage = switch (type.toLowerCase(Locale.ROOT)) {
            case "f32" -> GgmlType.F32;
            case "f16" -> GgmlType.F16;
            case "bf16" -> GgmlType.BF16;
            case "q8_0" -> GgmlType.Q8_0;
            case "q4_0" -> GgmlType.Q4_0;
            default -> throw new IllegalArgumentException("--type: expected f32, f16, bf16, q8_0 or q4_0, got '" + type + "'");
        };
        MlpMemoryConfig config;
        try (GgufFile f = GgufFile.open(host)) {
            String arch = f.architecture();
            int hostWidth = (int) f.getUInt32(arch + ".embedding_length");
            int layers = (int) f.getUInt32(arch + ".block_count");
            int vocab = f.find(GgufKeys.TOKENIZER_TOKENS).map(v -> v.asStringList().size()).orElseThrow(
                    () -> new IllegalArgumentException("--host " + host + ": no tokenizer.ggml.tokens"));
            String tokenizer = f.find(GgufKeys.TOKENIZER_SHA256).map(GgufValue::asString).orElse("");
            int w = width != null ? width : hostWidth;
            MlpMemoryConfig.Flavour fl = flavour != null ? MlpMemoryConfig.Flavour.parse(flavour)
                    : MlpMemoryConfig.Flavour.ofHost(arch);
            config = MlpMemoryConfig.of(fl, w, blocks, vocab,
                    new MlpMemoryConfig.Host(arch, hostWidth, LlamaContext.ffnInput(layers - 1), ""), tokenizer);
        }
        MlpMemoryGguf.write(config, new RandomMlpWeights(config, seed), storage,
                Map.of("memdec.init", "random MLP memory, seed " + seed), out);
        System.out.printf(Locale.ROOT, "wrote %s: %s MLP memory, %d blocks x %d wide (ff %d) for a %s host of width %d, "
                + "%s, %,d parameters, %,d bytes%n", out, config.flavour().ggufName(), config.blocks(), config.width(),
                config.ff(), config.host().architecture(), config.inputWidth(), storage, config.parameterCount(),
                Files.size(out));
        return 0;
    }
}

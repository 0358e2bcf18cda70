package dev.memdec.converter.cli;

import com.google.gson.GsonBuilder;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code memdec init}: writes a randomly initialised, llama.cpp-loadable GPT-2 GGUF with the GPT-2 tokenizer. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = {"Write a seeded random GPT-2 model (GPT-2 tokenizer, tied output) as GGUF.",
                "Shape flags override --preset; without a preset --layers, --embd, --heads and --ctx are required."})
public final class InitCommand implements MemdecCommand {

    static final int MAX_LAYERS = 96;
    static final int MAX_EMBD = 8192;
    static final int MAX_HEADS = 128;
    static final int MAX_CTX = 32768;

    private static final System.Logger LOG = System.getLogger(InitCommand.class.getName());

    @Option(names = "--arch", defaultValue = "gpt2", description = "Architecture; only gpt2 (default).")
    String arch;

    @Option(names = "--preset", description = "small (12/768/12/1024) or medium (24/1024/16/1024).")
    String preset;

    @Option(names = "--layers", description = "Blocks, 1.." + MAX_LAYERS + ".")
    Integer layers;

    @Option(names = "--embd", description = "Embedding width, 1.." + MAX_EMBD + ", a multiple of --heads (and of 32 for q8_0/q4_0).")
    Integer embd;

    @Option(names = "--heads", description = "Attention heads, 1.." + MAX_HEADS + ".")
    Integer heads;

    @Option(names = "--ctx", description = "Context length (position_embd rows), 1.." + MAX_CTX + ".")
    Integer ctx;

    @Option(names = "--vocab", defaultValue = "gpt2", description = "Tokenizer; only gpt2 (50257 tokens, default).")
    String vocab;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed (any 64-bit integer, default 0).")
    long seed;

    @Option(names = "--type", defaultValue = "f32", description = "Matrix storage type: f32 (default), f16, q8_0 or q4_0.")
    String type;

    @Option(names = "--out", required = true, description = "Output file, must end in .gguf; its directory must exist.")
    Path out;

    @Option(names = "--json", description = "Print a JSON summary instead of a sentence.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if (!arch.equals("gpt2")) {
            throw new IllegalArgumentException("--arch: only 'gpt2' is supported, got '" + arch + "'");
        }
        if (!vocab.equals("gpt2")) {
            throw new IllegalArgumentException("--vocab: only 'gpt2' is supported, got '" + vocab + "'");
        }
        GgmlType storage = parseType(type);
        Gpt2Config config = resolveConfig();
        if (config.embd() % storage.blockSize() != 0) {
            throw new IllegalArgumentException("--embd " + config.embd() + " must be a multiple of "
                    + storage.blockSize() + " for --type " + type + " (its block size)");
        }
        checkOut();
        BpeVocabulary vocabulary = Gpt2Tokenizer.vocabulary();
        Gpt2GgufExporter.checkCompatible(config, vocabulary, storage);

        long start = System.nanoTime();
        Gpt2GgufExporter.write(config, new RandomGpt2Weights(config, seed), vocabulary, storage,
                Map.of("memdec.init", "random gpt2, seed " + seed), out);
        double seconds = (System.nanoTime() - start) / 1e9;
        long bytes = Files.size(out);
        LOG.log(System.Logger.Level.DEBUG, "init wrote {0} in {1} s", out, seconds);
        if (json) {
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("out", out.toString());
            summary.put("bytes", bytes);
            summary.put("seconds", seconds);
            summary.put("type", storage.name());
            summary.put("layers", config.layers());
            summary.put("embd", config.embd());
            summary.put("heads", config.heads());
            summary.put("ctx", config.ctx());
            summary.put("vocab", config.vocab());
            summary.put("parameters", config.parameterCount());
            summary.put("seed", seed);
            summary.put("tokenizer_sha256", vocabulary.sha256());
            System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(summary));
        } else {
            System.out.printf(Locale.ROOT, "wrote %s: gpt2 %d layers x %d embd, %d heads, ctx %d, %s, %,d parameters, %,d bytes in %.1f s%n",
                    out, config.layers(), config.embd(), config.heads(), config.ctx(), storage, config.parameterCount(),
                    bytes, seconds);
        }
        return 0;
    }

    private static GgmlType parseType(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "f32" -> GgmlType.F32;
            case "f16" -> GgmlType.F16;
            case "q8_0" -> GgmlType.Q8_0;
            case "q4_0" -> GgmlType.Q4_0;
            default -> throw new IllegalArgumentException("--type: expected f32, f16, q8_0 or q4_0, got '" + name + "'");
        };
    }

    private Gpt2Config resolveConfig() {
        Gpt2Config base = null;
        if (preset != null) {
            base = switch (preset) {
                case "small" -> Gpt2Config.small();
                case "medium" -> Gpt2Config.medium();
                default -> throw new IllegalArgumentException("--preset: expected small or medium, got '" + preset + "'");
            };
        }
        int l = pick("--layers", layers, base == null ? null : base.layers(), MAX_LAYERS);
        int e = pick("--embd", embd, base == null ? null : base.embd(), MAX_EMBD);
        int h = pick("--heads", heads, base == null ? null : base.heads(), MAX_HEADS);
        int c = pick("--ctx", ctx, base == null ? null : base.ctx(), MAX_CTX);
        if (e % h != 0) {
            throw new IllegalArgumentException("--embd " + e + " is not a multiple of --heads " + h);
        }
        return Gpt2Config.of(l, e, h, c, Gpt2Tokenizer.VOCAB_SIZE);
    }

    private static int pick(String flag, Integer given, Integer fromPreset, int max) {
        Integer v = given != null ? given : fromPreset;
        if (v == null) {
            throw new IllegalArgumentException(flag + " is required unless --preset is given");
        }
        if (v < 1 || v > max) {
            throw new IllegalArgumentException(flag + " must be in [1, " + max + "], got " + v);
        }
        return v;
    }

    private void checkOut() {
        if (!out.getFileName().toString().endsWith(".gguf")) {
            throw new IllegalArgumentException("--out: file name must end in .gguf, got '" + out + "'");
        }
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out: '" + out + "' is a directory");
        }
        Path dir = out.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--out: directory '" + dir + "' does not exist");
        }
    }
}

package dev.memdec.converter.cli;

import com.google.gson.GsonBuilder;
import dev.memdec.converter.family.DecoderFamilies;
import dev.memdec.converter.family.DecoderFamily;
import dev.memdec.converter.family.DecoderGgufWriter;
import dev.memdec.converter.family.RandomDecoderWeights;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.family.TensorSpec;
import dev.memdec.converter.family.gemma3.Gemma3Family;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufFormatException;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.hf.HfTokenizerReader;
import dev.memdec.converter.tokenizer.CopiedGgufTokenizer;
import dev.memdec.converter.tokenizer.GgufTokenizer;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code memdec init}: writes a randomly initialised, llama.cpp-loadable GGUF of one of the families memdec writes
 * (gpt2, or a rotary decoder from {@link DecoderFamilies}) with the GPT-2 tokenizer or the tokenizer of another file.
 */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = {"Write a seeded random model as GGUF: gpt2 (default), llama, qwen2, qwen3, gemma3 or phi3.",
                "The tokenizer is GPT-2's unless --tokenizer-from names a GGUF (its tokenizer.* keys are copied exactly) or an "
                        + "HF tokenizer.json (byte-level BPE as qwen2/llama-bpe/gpt-2, or SentencePiece-style BPE with byte "
                        + "fallback); the vocabulary size follows the tokenizer.",
                "Shape flags override --preset; without a preset --layers, --embd, --heads and --ctx are required."})
public final class InitCommand implements MemdecCommand {

    static final int MAX_LAYERS = 96;
    static final int MAX_EMBD = 8192;
    static final int MAX_HEADS = 128;
    static final int MAX_CTX = 32768;
    static final int MAX_FF = 65536;
    static final String GPT2 = "gpt2";

    private static final System.Logger LOG = System.getLogger(InitCommand.class.getName());

    @Option(names = "--arch", defaultValue = GPT2,
            description = "Architecture: gpt2 (default), llama, qwen2, qwen3, gemma3 or phi3.")
    String arch;

    @Option(names = "--preset", description = "small (12/768/12/1024) or medium (24/1024/16/1024).")
    String preset;

    @Option(names = "--layers", description = "Blocks, 1.." + MAX_LAYERS + ".")
    Integer layers;

    @Option(names = "--embd", description = "Embedding width, 1.." + MAX_EMBD + ", a multiple of --heads (and of 32 for q8_0/q4_0).")
    Integer embd;

    @Option(names = "--heads", description = "Attention heads, 1.." + MAX_HEADS + "; embd/heads is the head width, even for rotary families.")
    Integer heads;

    @Option(names = "--kv-heads", description = "Key/value heads (grouped-query attention), dividing --heads; default --heads. Not for gpt2.")
    Integer kvHeads;

    @Option(names = "--ff", description = "Feed-forward width, 1.." + MAX_FF + "; default 4 x embd. Not for gpt2 (always 4 x embd).")
    Integer ff;

    @Option(names = "--ctx", description = "Context length, 1.." + MAX_CTX + ".")
    Integer ctx;

    @Option(names = "--vocab", description = "Tokenizer: gpt2 (50257 tokens, the default when --tokenizer-from is not given).")
    String vocab;

    @Option(names = "--tokenizer-from", paramLabel = "FILE",
            description = "Take the tokenizer of FILE: a GGUF that carries one, or an HF tokenizer.json (tokenizer_config.json beside it is read too).")
    Path tokenizerFrom;

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
        Optional<DecoderFamily> family = DecoderFamilies.byName(arch);
        if (!arch.equals(GPT2) && family.isEmpty()) {
            throw new IllegalArgumentException("--arch: expected gpt2, " + DecoderFamilies.names() + ", got '" + arch + "'");
        }
        if (vocab != null && !vocab.equals(GPT2)) {
            throw new IllegalArgumentException("--vocab: only 'gpt2' is supported (or --tokenizer-from FILE), got '" + vocab + "'");
        }
        if (vocab != null && tokenizerFrom != null) {
            throw new IllegalArgumentException("--vocab and --tokenizer-from both name a tokenizer; give one");
        }
        if (family.isEmpty() && (kvHeads != null || ff != null)) {
            throw new IllegalArgumentException((kvHeads != null ? "--kv-heads" : "--ff") + ": gpt2 has no such setting");
        }
        GgmlType storage = parseType(type);
        Shape shape = resolveShape();
        if (shape.embd % storage.blockSize() != 0) {
            throw new IllegalArgumentException("--embd " + shape.embd + " must be a multiple of "
                    + storage.blockSize() + " for --type " + type + " (its block size)");
        }
        checkOut();
        GgufTokenizer tokenizer = tokenizerFrom == null ? Gpt2Tokenizer.vocabulary() : readTokenizer(tokenizerFrom);
        String origin = tokenizerFrom == null ? GPT2 : tokenizerFrom.getFileName().toString();
        Map<String, String> meta = Map.of("memdec.init", "random " + arch + ", seed " + seed
                + (tokenizerFrom == null ? "" : ", tokenizer from " + origin));

        long start = System.nanoTime();
        long parameters;
        if (family.isPresent()) {
            RopeDecoderConfig config = ropeConfig(family.get(), shape, tokenizer.size());
            DecoderGgufWriter.write(family.get(), config, tokenizer,
                    new RandomDecoderWeights(family.get().tensors(config), seed), storage, meta, out);
            parameters = family.get().tensors(config).stream().mapToLong(TensorSpec::elementCount).sum();
        } else {
            Gpt2Config config = Gpt2Config.of(shape.layers, shape.embd, shape.heads, shape.ctx, tokenizer.size());
            Gpt2GgufExporter.checkCompatible(config, tokenizer, storage);
            Gpt2GgufExporter.write(config, new RandomGpt2Weights(config, seed), tokenizer, storage, meta, out);
            parameters = config.parameterCount();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long bytes = Files.size(out);
        LOG.log(System.Logger.Level.DEBUG, "init wrote {0} in {1} s", out, seconds);
        if (json) {
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("out", out.toString());
            summary.put("arch", arch);
            summary.put("bytes", bytes);
            summary.put("seconds", seconds);
            summary.put("type", storage.name());
            summary.put("layers", shape.layers);
            summary.put("embd", shape.embd);
            summary.put("heads", shape.heads);
            summary.put("kv_heads", shape.kvHeads);
            summary.put("ff", shape.ff);
            summary.put("ctx", shape.ctx);
            summary.put("vocab", tokenizer.size());
            summary.put("parameters", parameters);
            summary.put("seed", seed);
            summary.put("tokenizer_from", origin);
            summary.put("tokenizer_sha256", tokenizer.canonicalSha256().orElse(null));
            System.out.println(new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(summary));
        } else {
            System.out.printf(Locale.ROOT, "wrote %s: %s %d layers x %d embd, %d heads (%d kv), ff %d, ctx %d, %d tokens (%s), %s, "
                            + "%,d parameters, %,d bytes in %.1f s%n",
                    out, arch, shape.layers, shape.embd, shape.heads, shape.kvHeads, shape.ff, shape.ctx, tokenizer.size(),
                    origin, storage, parameters, bytes, seconds);
        }
        return 0;
    }

    /** The shape flags after presets and defaults, each in range. */
    private record Shape(int layers, int embd, int heads, int kvHeads, int ff, int ctx) {
    }

    /** The family's config; a shape the family cannot take is refused naming the flag or the family. */
    private RopeDecoderConfig ropeConfig(DecoderFamily family, Shape s, int vocabSize) {
        int headDim = s.embd / s.heads;
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("--embd " + s.embd + " / --heads " + s.heads + " gives a head width of "
                    + headDim + ", which is odd; rotary embeddings (--arch " + arch + ") rotate pairs of dimensions");
        }
        RopeDecoderConfig c = RopeDecoderConfig.of(s.layers, s.embd, s.heads, s.kvHeads, s.ff, vocabSize, s.ctx);
        if (family == Gemma3Family.INSTANCE) {
            c = c.withTiedOutput(true).withSlidingWindow(Math.min(Gemma3Family.DEFAULT_SLIDING_WINDOW, s.ctx));
        }
        try {
            family.check(c);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--arch " + arch + ": " + e.getMessage(), e);
        }
        return c;
    }

    /**
     * The tokenizer of {@code file}: a GGUF's {@code tokenizer.*} keys, or an HF tokenizer.json.
     *
     * @throws IllegalArgumentException starting with the flag: no such file, not GGUF or JSON, no tokenizer in it
     */
    static GgufTokenizer readTokenizer(Path file) throws IOException {
        CliFiles.existingFile(file, "--tokenizer-from");
        try {
            if (startsWithGgufMagic(file)) {
                try (GgufFile f = GgufFile.open(file)) {
                    return CopiedGgufTokenizer.of(f);
                }
            }
            if (file.getFileName().toString().endsWith(".json")) {
                return HfTokenizerReader.fromTokenizerJson(file);
            }
        } catch (IllegalArgumentException | GgufFormatException e) {
            throw new IllegalArgumentException("--tokenizer-from " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("--tokenizer-from " + file + ": neither a GGUF file nor an HF tokenizer.json");
    }

    private static boolean startsWithGgufMagic(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(4), "GGUF".getBytes(StandardCharsets.US_ASCII));
        }
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

    private Shape resolveShape() {
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
        int kv = pick("--kv-heads", kvHeads, h, MAX_HEADS);
        if (h % kv != 0) {
            throw new IllegalArgumentException("--kv-heads " + kv + " does not divide --heads " + h
                    + " (each key/value head serves a whole number of query heads)");
        }
        int f = pick("--ff", ff, 4 * e, MAX_FF);
        return new Shape(l, e, h, kv, f, c);
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

package dev.memdec.converter.cli;

import com.google.gson.GsonBuilder;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.hf.HfConverter;
import dev.memdec.converter.safetensors.SafetensorsFormatException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** {@code ./memdec convert --from-hf DIR --out FILE.gguf --type f16}: HF checkpoint → GGUF for llama.cpp. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert an HF causal-LM checkpoint (GPT2LMHeadModel, Qwen2ForCausalLM, LlamaForCausalLM; "
                + "safetensors, single or sharded) to a llama.cpp GGUF.")
public final class ConvertCommand implements MemdecCommand {

    /** Output types the writer encodes, by their command-line spelling. */
    private static final Map<String, GgmlType> TYPES = Map.of(
            "f32", GgmlType.F32, "f16", GgmlType.F16, "bf16", GgmlType.BF16, "q8_0", GgmlType.Q8_0, "q4_0", GgmlType.Q4_0);

    @Option(names = "--from-hf", required = true, paramLabel = "DIR",
            description = "HF checkpoint directory: config.json, model.safetensors or model.safetensors.index.json + shards, "
                    + "tokenizer.json or vocab.json + merges.txt, optional tokenizer_config.json")
    Path fromHf;

    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "GGUF file to write (atomically)")
    Path out;

    @Option(names = "--type", defaultValue = "f16", paramLabel = "TYPE",
            description = "f32, f16, bf16, q8_0 or q4_0 for 2-D weights (norms, biases and position embeddings stay f32); default ${DEFAULT-VALUE}")
    String type;

    @Option(names = "--json", description = "print the result as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        GgmlType ggmlType = TYPES.get(type.toLowerCase(Locale.ROOT));
        if (ggmlType == null) {
            throw new IllegalArgumentException("--type " + type + " is not one of f32, f16, bf16, q8_0, q4_0");
        }
        if (!Files.isDirectory(fromHf)) {
            throw new IllegalArgumentException("--from-hf " + fromHf + " is not a directory");
        }
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out " + out + " is a directory, expected a .gguf file path");
        }
        HfConverter.Result r;
        try {
            r = HfConverter.convert(fromHf, out, ggmlType);
        } catch (SafetensorsFormatException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("out", r.out().toString());
            m.put("architecture", r.architecture().ggufArchitecture());
            m.put("type", type.toLowerCase(Locale.ROOT));
            m.put("tensors", r.tensorCount());
            m.put("vocab", r.vocabSize());
            m.put("input_bytes", r.inputBytes());
            m.put("output_bytes", r.outputBytes());
            m.put("seconds", r.seconds());
            System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(m));
        } else {
            System.out.printf(Locale.ROOT, "wrote %s: %s, %s, %d tensors, vocab %d, %.1f MB in %.2f s%n", r.out(),
                    r.architecture().ggufArchitecture(), type.toLowerCase(Locale.ROOT), r.tensorCount(), r.vocabSize(),
                    r.outputBytes() / 1e6, r.seconds());
        }
        return 0;
    }
}

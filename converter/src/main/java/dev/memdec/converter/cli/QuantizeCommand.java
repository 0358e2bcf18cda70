package dev.memdec.converter.cli;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.gguf.GgufValue;
import dev.memdec.converter.gguf.GgufWriter;
import dev.memdec.converter.quant.QuantizationPolicy;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code memdec quantize --in A.gguf --out B.gguf --type q8_0|q4_0|f16|bf16|f32}: re-encodes the tensors
 * of a GGUF file, streaming from the mapped input, with the tensor policy of {@link QuantizationPolicy}.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Re-encode the tensors of a GGUF file to another type.",
                "1-D tensors, norms, biases and position_embd stay F32; rows whose length is not a multiple of 32"
                        + " stay F16 for block types; for q4_0 the output projection gets q8_0.",
                "All metadata is copied; general.file_type and general.quantization_version are updated."})
public final class QuantizeCommand implements MemdecCommand {

    private static final System.Logger LOG = System.getLogger(QuantizeCommand.class.getName());
    private static final List<GgmlType> TARGETS =
            List.of(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.F16, GgmlType.BF16, GgmlType.F32);

    @Option(names = "--in", required = true, paramLabel = "A.gguf", description = "Input GGUF file.")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "B.gguf", description = "Output GGUF file (replaced atomically).")
    Path out;

    @Option(names = "--type", required = true, paramLabel = "TYPE", description = "Target type: q8_0, q4_0, f16, bf16 or f32.")
    String type;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        GgmlType target = parseTarget(type);
        CliFiles.existingFile(in, "--in");
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out " + out + ": is a directory, expected a file name");
        }
        if (Files.exists(out) && Files.isSameFile(in, out)) {
            throw new IllegalArgumentException("--out " + out + ": is the input file; write to a new file");
        }
        Map<GgmlType, Integer> counts = new EnumMap<>(GgmlType.class);
        try (GgufFile f = GgufFile.open(in)) {
            GgufWriter w = new GgufWriter();
            copyMetadata(f, w, target);
            boolean hasOutput = f.tensor("output.weight").isPresent();
            for (GgufTensorInfo t : f.tensors()) {
                GgmlType chosen = QuantizationPolicy.choose(t.name(), t.ne(), target, hasOutput);
                LOG.log(System.Logger.Level.DEBUG, "{0}: {1} -> {2}", t.name(), t.type(), chosen);
                if (chosen == t.type()) {
                    w.addEncodedTensor(t.name(), t.type(), t.ne(), f.data(t));
                } else if (t.type().canEncode()) {
                    w.addTensor(t.name(), chosen, t.ne(), f.floats(t));
                } else {
                    throw new IllegalArgumentException("--in " + in + ": tensor '" + t.name() + "' has type " + t.type()
                            + ", which cannot be dequantized (supported: F32, F16, BF16, Q8_0, Q4_0)");
                }
                counts.merge(chosen, 1, Integer::sum);
            }
            w.write(out);
        }
        PrintWriter pw = spec.commandLine().getOut();
        pw.printf("wrote %s: %s, %d tensors %s, %,d -> %,d bytes%n", out, target.fileTypeName(),
                counts.values().stream().mapToInt(Integer::intValue).sum(), counts, Files.size(in), Files.size(out));
        pw.flush();
        return 0;
    }

    static GgmlType parseTarget(String name) {
        for (GgmlType t : TARGETS) {
            if (t.name().equals(name.toUpperCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException("--type '" + name + "' is not one of q8_0, q4_0, f16, bf16, f32");
    }

    /**
     * Copies every key in order, replacing the file type and quantization version (appended if absent)
     * and re-reserving the tensor-data hash, which the new data invalidates.
     */
    private static void copyMetadata(GgufFile f, GgufWriter w, GgmlType target) {
        for (Map.Entry<String, GgufValue> e : f.metadata().entrySet()) {
            switch (e.getKey()) {
                case GgufKeys.FILE_TYPE -> w.putUInt32(GgufKeys.FILE_TYPE, target.fileType());
                case GgufKeys.QUANTIZATION_VERSION ->
                        w.putUInt32(GgufKeys.QUANTIZATION_VERSION, GgufKeys.QUANTIZATION_VERSION_CURRENT);
                case GgufKeys.TENSOR_DATA_SHA256 -> w.withTensorDataSha256();
                default -> w.putValue(e.getKey(), e.getValue());
            }
        }
        if (f.find(GgufKeys.FILE_TYPE).isEmpty()) {
            w.putUInt32(GgufKeys.FILE_TYPE, target.fileType());
        }
        if (f.find(GgufKeys.QUANTIZATION_VERSION).isEmpty()) {
            w.putUInt32(GgufKeys.QUANTIZATION_VERSION, GgufKeys.QUANTIZATION_VERSION_CURRENT);
        }
    }
}

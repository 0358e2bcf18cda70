package dev.memdec.converter.cli;

import com.google.gson.GsonBuilder;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.gguf.GgufValue;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code memdec inspect FILE.gguf [--json] [--verify]}: validates a GGUF file and summarises it. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Validate a GGUF file and print its architecture, hyper-parameters, tokenizer, memdec.* keys"
                + " and tensors.", "Makes every check llama.cpp's loader makes, and more; exits 1 on the first problem."})
public final class InspectCommand implements MemdecCommand {

    @Parameters(index = "0", paramLabel = "FILE.gguf", description = "The GGUF file to inspect.")
    Path file;

    @Option(names = "--json", description = "Print the summary as JSON.")
    boolean json;

    @Option(names = "--verify", description = "Recompute " + GgufKeys.TENSOR_DATA_SHA256
            + " and fail if it is missing or differs.")
    boolean verify;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CliFiles.existingFile(file, "FILE");
        try (GgufFile f = GgufFile.open(file)) {
            Map<String, Object> summary = summarize(f);
            String verifyError = null;
            if (verify) {
                Map<String, Object> check = verify(f);
                summary.put("verify", check);
                if (!Boolean.TRUE.equals(check.get("ok"))) {
                    verifyError = file + ": " + check.get("problem");
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
                        .disableHtmlEscaping().create().toJson(summary));
            } else {
                printText(out, f, summary);
            }
            out.flush();
            if (verifyError != null) {
                throw new IllegalArgumentException(verifyError);
            }
        }
        return 0;
    }

    private static Map<String, Object> summarize(GgufFile f) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("file", f.name());
        s.put("size", f.fileSize());
        s.put("version", f.version());
        s.put("alignment", f.alignment());
        Optional<String> arch = f.find(GgufKeys.ARCHITECTURE).map(GgufValue::asString);
        s.put("architecture", arch.orElse(null));
        s.put("general", plain(f, "general."));
        s.put("hyperparameters", arch.map(a -> plain(f, a + ".")).orElse(Map.of()));
        s.put("tokenizer", tokenizer(f));
        s.put("memdec", plain(f, GgufKeys.MEMDEC_PREFIX));
        List<Map<String, Object>> tensors = new ArrayList<>();
        long total = 0;
        for (GgufTensorInfo t : f.tensors()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", t.name());
            row.put("type", t.type().name());
            row.put("shape", t.ne());
            row.put("bytes", t.byteSize());
            tensors.add(row);
            total += t.byteSize();
        }
        s.put("tensor_bytes", total);
        s.put("tensors", tensors);
        return s;
    }

    private static Map<String, Object> plain(GgufFile f, String prefix) {
        Map<String, Object> out = new LinkedHashMap<>();
        f.metadata().forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k, v.toPlain());
            }
        });
        return out;
    }

    private static Map<String, Object> tokenizer(GgufFile f) {
        Map<String, Object> t = new LinkedHashMap<>();
        f.find(GgufKeys.TOKENIZER_MODEL).ifPresent(v -> t.put("model", v.toPlain()));
        f.find(GgufKeys.TOKENIZER_PRE).ifPresent(v -> t.put("pre", v.toPlain()));
        f.find(GgufKeys.TOKENIZER_TOKENS).ifPresent(v -> t.put("vocab_size", v.arrayLength()));
        f.find(GgufKeys.TOKENIZER_BOS).ifPresent(v -> t.put("bos", v.toPlain()));
        f.find(GgufKeys.TOKENIZER_EOS).ifPresent(v -> t.put("eos", v.toPlain()));
        f.find(GgufKeys.TOKENIZER_MERGES).ifPresent(v -> t.put("merges", v.arrayLength()));
        f.find(GgufKeys.TOKENIZER_SHA256).ifPresent(v -> t.put("sha256", v.toPlain()));
        return t;
    }

    private static Map<String, Object> verify(GgufFile f) {
        Map<String, Object> check = new LinkedHashMap<>();
        Optional<GgufValue> stored = f.find(GgufKeys.TENSOR_DATA_SHA256);
        String actual = f.computeTensorDataSha256();
        check.put("expected", stored.map(GgufValue::toPlain).orElse(null));
        check.put("actual", actual);
        if (stored.isEmpty()) {
            check.put("ok", false);
            check.put("problem", "no " + GgufKeys.TENSOR_DATA_SHA256 + " key to verify against");
        } else if (!actual.equals(stored.get().toPlain())) {
            check.put("ok", false);
            check.put("problem", "tensor data SHA-256 mismatch: stored " + stored.get().toPlain() + ", computed "
                    + actual + " (the file is corrupt or was modified)");
        } else {
            check.put("ok", true);
        }
        return check;
    }

    @SuppressWarnings("unchecked")
    private static void printText(PrintWriter out, GgufFile f, Map<String, Object> s) {
        out.printf("file:          %s (%,d bytes, GGUF v%d, alignment %d)%n", f.name(), f.fileSize(), f.version(),
                f.alignment());
        out.printf("architecture:  %s%n", s.get("architecture") == null ? "(none)" : s.get("architecture"));
        String arch = (String) s.get("architecture");
        section(out, f, "general", "general.");
        if (arch != null) {
            section(out, f, "hyper-parameters", arch + ".");
        }
        Map<String, Object> tok = (Map<String, Object>) s.get("tokenizer");
        if (!tok.isEmpty()) {
            out.println("tokenizer:");
            tok.forEach((k, v) -> out.printf("  %-12s %s%n", k, v));
        }
        section(out, f, "memdec", GgufKeys.MEMDEC_PREFIX);
        List<String> other = f.metadata().keySet().stream()
                .filter(k -> !k.startsWith("general.") && !k.startsWith(GgufKeys.MEMDEC_PREFIX)
                        && (arch == null || !k.startsWith(arch + ".")) && !k.startsWith("tokenizer.ggml."))
                .toList();
        if (!other.isEmpty()) {
            out.println("other metadata:");
            other.forEach(k -> out.printf("  %s = %s%n", k, f.metadata().get(k).describe(4)));
        }
        out.printf("tensors:       %d, %,d bytes%n", f.tensors().size(), (Long) s.get("tensor_bytes"));
        int width = f.tensors().stream().mapToInt(t -> t.name().length()).max().orElse(4);
        for (GgufTensorInfo t : f.tensors()) {
            out.printf("  %-" + width + "s  %-5s %-22s %,14d%n", t.name(), t.type(), Arrays.toString(t.ne()), t.byteSize());
        }
        Map<String, Object> verify = (Map<String, Object>) s.get("verify");
        if (verify != null) {
            out.println(Boolean.TRUE.equals(verify.get("ok")) ? "verify:        OK, tensor data SHA-256 " + verify.get("actual")
                    : "verify:        FAILED, " + verify.get("problem"));
        }
    }

    private static void section(PrintWriter out, GgufFile f, String title, String prefix) {
        List<Map.Entry<String, GgufValue>> entries = f.metadata().entrySet().stream()
                .filter(e -> e.getKey().startsWith(prefix)).toList();
        if (entries.isEmpty()) {
            return;
        }
        out.println(title + ":");
        for (Map.Entry<String, GgufValue> e : entries) {
            out.printf("  %s = %s (%s)%n", e.getKey(), e.getValue().describe(4), e.getValue().typeName());
        }
    }
}

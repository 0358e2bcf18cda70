package dev.memdec.converter.hf;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.fuzz.Fuzz;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.safetensors.SafetensorsCheckpoint;
import dev.memdec.converter.safetensors.SafetensorsDtype;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated HF checkpoint text files (config.json; tokenizer.json or vocab.json + merges.txt; tokenizer_config.json,
 * including files that disagree with each other) with valid weights. Most cases run the parse path of
 * {@code convert} (config, layout, tokenizer); every twentieth runs the whole conversion into the case directory,
 * which must leave no output behind when it fails and a file the validating GGUF reader accepts when it succeeds.
 */
class HfFilesFuzzTest {

    private static final int CASES = 10_000;

    @TempDir
    Path dir;

    private Map<String, byte[]> valid(HfArchitecture arch) throws IOException {
        Path ckpt = dir.resolve("valid-" + arch);
        new SyntheticHfCheckpoint(arch, 1, 8, 2, 2, 16, 8, 272, arch != HfArchitecture.LLAMA, SafetensorsDtype.F16, 1, 7)
                .writeTo(ckpt);
        return Fuzz.read(ckpt);
    }

    /** Leaves the weights alone: {@link dev.memdec.converter.safetensors.SafetensorsFuzzTest} mutates those. */
    private static Fuzz.Generator textFilesOnly() {
        Fuzz.Generator files = Fuzz.files();
        return (valid, m) -> {
            Map<String, byte[]> text = new TreeMap<>(valid);
            text.remove(SafetensorsCheckpoint.SINGLE_FILE);
            Map<String, byte[]> out = new TreeMap<>(files.mutate(text, m));
            out.put(SafetensorsCheckpoint.SINGLE_FILE, valid.get(SafetensorsCheckpoint.SINGLE_FILE));
            return out;
        };
    }

    private static Fuzz.Target target() {
        int[] n = {0};
        return ckpt -> {
            if (n[0]++ % 20 == 0) {
                Path out = ckpt.resolve("out.gguf");
                HfConverter.convert(ckpt, out, GgmlType.F16);
                try (GgufFile f = GgufFile.open(out)) {
                    assertTrue(f.tensors().size() > 0);
                }
                Files.delete(out);
                return;
            }
            HfConfig config = HfConfig.read(ckpt);
            HfArchitecture architecture = HfArchitecture.of(config);
            try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(ckpt)) {
                ModelLayout layout = ModelLayout.of(architecture, config, checkpoint);
                HfTokenizerReader.read(ckpt, config, architecture, layout.vocabRows());
                HfTokenizerReader.chatTemplate(ckpt);
            }
        };
    }

    @Test
    void gpt2LayoutVocabJsonAndMergesTxt() throws IOException {
        Map<String, byte[]> valid = valid(HfArchitecture.GPT2);
        assertTrue(valid.containsKey(HfTokenizerReader.VOCAB_JSON) && valid.containsKey(HfTokenizerReader.MERGES_TXT));
        Fuzz.Stats s = Fuzz.of("hf-vocab-merges").run(dir.resolve("gpt2"), valid, 20260404L, CASES, textFilesOnly(), target());
        assertTrue(s.rejected() > CASES / 3 && s.parsed() > 100, s.toString());
    }

    @Test
    void qwen2LayoutTokenizerJson() throws IOException {
        Map<String, byte[]> valid = valid(HfArchitecture.QWEN2);
        assertTrue(valid.containsKey(HfTokenizerReader.TOKENIZER_JSON));
        Fuzz.Stats s = Fuzz.of("hf-tokenizer-json").run(dir.resolve("qwen2"), valid, 20260405L, CASES, textFilesOnly(), target());
        assertTrue(s.rejected() > CASES / 3 && s.parsed() > 100, s.toString());
    }
}

package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.gguf.GgufValue;
import dev.memdec.converter.gguf.GgufWriter;
import dev.memdec.converter.hf.TokenizerJsonFixtures;
import dev.memdec.converter.tokenizer.PaddingRows;
import dev.memdec.plugin.cli.CliRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 6: hosts and memories of one tokenizer whose output rows differ only by padding rows (as Qwen2.5-0.5B's
 * 151,936 and Qwen2.5-7B's 152,064 rows pad one 151,665-token tokenizer; llama.cpp's converter names them
 * {@code [PAD<id>]}). Tiny qwen2/llama files made by {@code memdec init --tokenizer-from} a padded copy of one tokenizer:
 * the memory gate passes although the files are more than llama.cpp's 128 rows apart, and the mixed distribution is
 * normalised over the real tokens only (reference-spec §7.4), so a padded memory at λ 1 scores the text better than
 * the same memory alone, whose softmax also spends mass on its padding rows.
 */
class PaddedVocabularyE2eTest {

    @TempDir
    Path dir;

    private void init(String arch, Path tokenizerFrom, long seed, Path out) {
        CliRun r = CliRun.run("init", "--arch", arch, "--tokenizer-from", tokenizerFrom.toString(), "--seed", Long.toString(seed),
                "--layers", "1", "--embd", "32", "--heads", "4", "--kv-heads", "2", "--ctx", "64", "--out", out.toString());
        assertEquals(0, r.code(), "init " + out + ": " + r.err());
    }

    /** The tokenizer of {@code source} with padding rows appended up to {@code rows}, as llama.cpp's converter writes them. */
    private static Path padded(Path source, int rows, Path out) throws IOException {
        GgufWriter w = new GgufWriter();
        try (GgufFile f = GgufFile.open(source)) {
            w.putString("general.architecture", f.metadata().get("general.architecture").asString());
            f.metadata().forEach((key, value) -> {
                if (!key.startsWith("tokenizer.")) {
                    return;
                }
                if (key.equals(GgufKeys.TOKENIZER_TOKENS)) {
                    List<String> tokens = new ArrayList<>(value.asStringList());
                    for (int id = tokens.size(); id < rows; id++) {
                        tokens.add(PaddingRows.name(id));
                    }
                    w.putValue(key, GgufValue.ofStringArray(tokens));
                } else if (key.equals(GgufKeys.TOKENIZER_TOKEN_TYPE)) {
                    int[] types = value.asInt32Array();
                    int[] more = Arrays.copyOf(types, rows);
                    Arrays.fill(more, types.length, rows, 5);   // UNUSED
                    w.putValue(key, GgufValue.ofInt32Array(more));
                } else if (key.equals(GgufKeys.TOKENIZER_SCORES)) {
                    float[] scores = value.asFloat32Array();
                    float[] more = Arrays.copyOf(scores, rows);
                    Arrays.fill(more, scores.length, rows, -1000f);
                    w.putValue(key, GgufValue.ofFloat32Array(more));
                } else {
                    w.putValue(key, value);
                }
            });
        }
        w.write(out);
        return out;
    }

    /** The joint perplexity of a run with a memory, else the host's. */
    private static double perplexity(String... args) {
        CliRun r = CliRun.run(args);
        assertEquals(0, r.code(), String.join(" ", args) + ": " + r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        return o.getAsJsonArray("joint").isEmpty() ? o.get("host_ppl").getAsDouble()
                : o.getAsJsonArray("joint").get(0).getAsJsonObject().get("ppl").getAsDouble();
    }

    @Test
    void paddingRowsNeitherBreakTheGateNorEnterTheMixture() throws IOException {
        Path tokenizerJson = TokenizerJsonFixtures.byteLevelBpe(dir.resolve("bpe"));
        Path exact = dir.resolve("exact.gguf");
        init("qwen2", tokenizerJson, 1, exact);
        int real;
        try (GgufFile f = GgufFile.open(exact)) {
            real = f.metadata().get(GgufKeys.TOKENIZER_TOKENS).arrayLength();
        }
        Path host = dir.resolve("host-padded.gguf");
        init("qwen2", padded(exact, real + 200, dir.resolve("tok-200.gguf")), 2, host);
        Path memory = dir.resolve("memory-padded.gguf");
        init("llama", padded(exact, real + 72, dir.resolve("tok-72.gguf")), 3, memory);
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "the cat sat on the mat and the dog sat on the log\n".repeat(6));

        // the gate: 128 rows apart is llama.cpp's limit; these are 200 and 272 apart, all of it padding
        for (Path m : new Path[] {memory, exact}) {
            CliRun gen = CliRun.run("generate", "--host", host.toString(), "--memory", m.toString(), "--lambda", "0.5",
                    "--prompt", "the cat", "--max-tokens", "2", "--greedy", "--threads", "1", "--ctx", "64", "--json");
            assertEquals(0, gen.code(), m + ": " + gen.err());
        }
        // the mixture lives on the real tokens: at λ 1 it is the memory's softmax over them, which beats the memory's
        // own softmax over all its rows (random weights give the padding rows real mass)
        double alone = perplexity("perplexity", "--host", memory.toString(), "--text", text.toString(), "--ctx", "64",
                "--threads", "1", "--json");
        double joint = perplexity("perplexity", "--host", host.toString(), "--memory", memory.toString(), "--lambda", "1",
                "--text", text.toString(), "--ctx", "64", "--threads", "1", "--json");
        assertTrue(joint < alone, "joint at lambda 1 " + joint + " must be below the padded memory alone " + alone);
    }
}

package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.converter.family.DecoderFamily;
import dev.memdec.converter.family.DecoderGgufWriter;
import dev.memdec.converter.family.RandomDecoderWeights;
import dev.memdec.converter.family.RopeDecoderConfig;
import dev.memdec.converter.family.RopeStyle;
import dev.memdec.converter.family.TensorSpec;
import dev.memdec.converter.family.gemma3.Gemma3Family;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufWriter;
import dev.memdec.converter.tokenizer.BpeTrainer;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.hf.TokenizerJsonFixtures;
import dev.memdec.natives.llama.RuntimeProfile;
import dev.memdec.plugin.cli.CliRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 12 item 2 end to end, on the runtime profile this test run selects ({@code -Dmemdec.runtime}): for every family
 * {@code memdec init} writes, a tiny host is made with the tokenizer of an HF tokenizer.json (byte-level BPE or
 * SentencePiece-style), a memory of another family is made with {@code --tokenizer-from} the host's GGUF, and
 * {@code generate} loads both in llama.cpp, passes the tokenizer gate and produces tokens from the mixture. A family
 * the profile cannot load (qwen3 on b4916) must be refused by name, before llama.cpp sees the file.
 */
class InitArchitecturesE2eTest {

    @TempDir
    static Path dir;
    static Path bpe;
    static Path spm;

    @BeforeAll
    static void tokenizers() throws IOException {
        bpe = TokenizerJsonFixtures.byteLevelBpe(dir.resolve("bpe"));
        spm = TokenizerJsonFixtures.sentencePieceBpe(dir.resolve("spm"));
    }

    private static void init(String arch, String tokenizerFrom, long seed, Path out, String... shape) {
        List<String> args = new ArrayList<>(List.of("init", "--arch", arch, "--tokenizer-from", tokenizerFrom,
                "--seed", Long.toString(seed), "--ctx", "64", "--out", out.toString()));
        args.addAll(List.of(shape));
        CliRun r = CliRun.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), "init " + args + ": " + r.err());
    }

    /** gemma3 needs a global layer after five sliding ones ({@link Gemma3Family#MIN_LAYERS}). */
    private static String layers(String arch, int wanted) {
        return Integer.toString(arch.equals(Gemma3Family.ARCH) ? Gemma3Family.MIN_LAYERS : wanted);
    }

    @ParameterizedTest(name = "{0} host, {1} tokenizer, {2} memory")
    @CsvSource({"gpt2, bpe, llama", "llama, spm, qwen2", "qwen2, bpe, gemma3", "qwen3, bpe, phi3", "gemma3, spm, llama",
            "phi3, spm, gpt2"})
    void hostFromTokenizerJsonMixesWithAMemoryOfItsGguf(String arch, String tokenizer, String memoryArch) {
        Path host = dir.resolve(arch + "-" + tokenizer + "-host.gguf");
        Path memory = dir.resolve(arch + "-" + tokenizer + "-memory.gguf");
        String[] shape = {"--layers", layers(arch, 2), "--embd", "64", "--heads", "4"};
        if (!arch.equals("gpt2")) {
            shape = new String[] {"--layers", layers(arch, 2), "--embd", "64", "--heads", "4", "--kv-heads", "2"};
        }
        init(arch, (tokenizer.equals("bpe") ? bpe : spm).toString(), 1, host, shape);
        init(memoryArch, host.toString(), 2, memory, "--layers", layers(memoryArch, 1), "--embd", "32", "--heads", "2");

        RuntimeProfile profile = RuntimeProfile.selected();
        CliRun r = CliRun.run("generate", "--host", host.toString(), "--memory", memory.toString(), "--lambda", "0.5",
                "--prompt", "the cat sat on the", "--max-tokens", "4", "--greedy", "--threads", "1", "--ctx", "64", "--json");
        if (!profile.architectures().contains(arch)) {
            assertEquals(1, r.code(), r.out());
            assertTrue(r.err().contains("architecture '" + arch + "' is not one llama.cpp " + profile), r.err());
            return;
        }
        assertEquals(0, r.code(), profile + ", " + arch + " host + " + memoryArch + " memory: " + r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(4, o.getAsJsonArray("token_ids").size(), r.out());
    }

    @org.junit.jupiter.api.Test
    void aGemma3FileWithoutAGlobalLayerIsRefusedOnB4916AndRunsOnV050() throws Exception {
        Gemma3Family gemma3 = Gemma3Family.INSTANCE;
        DecoderFamily unchecked = new DecoderFamily() { // gemma3's layout without its layer-count check
            @Override
            public String architecture() {
                return gemma3.architecture();
            }

            @Override
            public RopeStyle ropeStyle() {
                return gemma3.ropeStyle();
            }

            @Override
            public void check(RopeDecoderConfig c) {
            }

            @Override
            public void writeHyperParameters(RopeDecoderConfig c, GgufWriter w) {
                gemma3.writeHyperParameters(c, w);
            }

            @Override
            public List<TensorSpec> tensors(RopeDecoderConfig c) {
                return gemma3.tensors(c);
            }
        };
        BpeVocabulary vocabulary = BpeTrainer.train(List.of("the cat sat on the mat"), 260);
        RopeDecoderConfig c = RopeDecoderConfig.of(2, 32, 2, 2, 64, vocabulary.size(), 64).withTiedOutput(true).withSlidingWindow(16);
        Path file = dir.resolve("gemma3-2-layers.gguf");
        DecoderGgufWriter.write(unchecked, c, vocabulary, new RandomDecoderWeights(gemma3.tensors(c), 1), GgmlType.F32,
                java.util.Map.of(), file);
        CliRun r = CliRun.run("generate", "--host", file.toString(), "--prompt", "the cat", "--max-tokens", "2", "--greedy",
                "--threads", "1", "--ctx", "64");
        if (RuntimeProfile.selected() == RuntimeProfile.B4916) {
            assertEquals(1, r.code(), r.out());
            assertTrue(r.err().contains("gemma3 with 2 layers has no global-attention layer"), r.err());
        } else {
            assertEquals(0, r.code(), r.err());
        }
        // without --runtime, ./memdec runs it on v0.5.0 (RuntimeChoiceE2eTest has the other cases)
        FreshJvm auto = FreshJvm.run(dir, java.util.Map.of(), List.of(), "generate", "--host", file.toString(), "--prompt",
                "the cat", "--max-tokens", "2", "--greedy", "--threads", "1", "--ctx", "64");
        assertEquals(0, auto.code(), auto.err());
        assertTrue(auto.err().contains("running on llama.cpp v0.5.0: " + file + " is a gemma3 model of 2 layers (no "
                + "global-attention layer), which b4916 does not run"), auto.err());
    }
}

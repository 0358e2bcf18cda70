package dev.memdec.e2e;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.hf.HfArchitecture;
import dev.memdec.converter.hf.HfCheckpoints;
import dev.memdec.converter.hf.HfConverter;
import dev.memdec.converter.hf.SyntheticHfCheckpoint;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import dev.memdec.natives.llama.Vocab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tokenizer metadata the converter writes drives llama.cpp's tokenizer as intended: the family's
 * pre-tokenizer, the merges in rank order, the byte-level symbols, special tokens as control tokens, [PADi] as
 * unused, and BOS added only for llama-bpe.
 */
class HfConvertedTokenizerTest {

    @TempDir
    Path dir;

    private Path convert(SyntheticHfCheckpoint c, boolean gpt2Vocab) throws IOException {
        Path ckpt = dir.resolve("ckpt");
        c.writeTo(ckpt);
        if (gpt2Vocab) {
            HfCheckpoints.writeGpt2Tokenizer(ckpt);
        }
        Path gguf = dir.resolve("model.gguf");
        HfConverter.convert(ckpt, gguf, GgmlType.Q8_0);
        return gguf;
    }

    @ParameterizedTest
    @EnumSource(HfArchitecture.class)
    void syntheticTokenizerMergesAsHfWould(HfArchitecture arch) throws IOException {
        SyntheticHfCheckpoint c = SyntheticHfCheckpoint.tiny(arch);
        try (LlamaModel model = LlamaModel.load(convert(c, false), ModelOptions.defaults().withVocabOnly(true))) {
            Vocab v = model.vocab();
            assertEquals(Vocab.TYPE_BPE, v.type());
            assertEquals(c.vocabSize(), v.size());
            int[] ids = v.tokenize(" the ring\n", true, false);
            List<String> pieces = IntStream.of(ids).mapToObj(v::text).toList();
            // merges: "Ġ t", "h e", "Ġt he" make Ġthe; "i n", "in g" make ing; no merge joins Ġ and r
            List<String> expected = List.of("Ġthe", "Ġ", "r", "ing", "Ċ");
            if (arch == HfArchitecture.LLAMA) {
                assertEquals("<|begin_of_text|>", pieces.getFirst(), "llama-bpe adds BOS");
                assertEquals(expected, pieces.subList(1, pieces.size()));
            } else {
                assertEquals(expected, pieces);
            }
            assertEquals(" the ring\n", v.detokenize(arch == HfArchitecture.LLAMA ? java.util.Arrays.copyOfRange(ids, 1, ids.length) : ids));
            int firstSpecial = 256 + 12;
            assertTrue((v.attr(firstSpecial) & Vocab.ATTR_CONTROL) != 0, "special tokens are control tokens");
            assertTrue((v.attr(c.vocabSize() - 1) & Vocab.ATTR_UNUSED) != 0, "[PADi] tokens are unused");
            assertEquals("[PAD" + (c.vocabSize() - 1) + "]", v.text(c.vocabSize() - 1));
            assertTrue(v.isEog(v.eos()));
        }
    }

    @Test
    void gpt2VocabularyTokenizesLikeGpt2() throws IOException {
        SyntheticHfCheckpoint c = HfCheckpoints.tinyWithGpt2Vocab();
        String text;
        try (InputStream in = getClass().getResourceAsStream("/text/moby-dick-3000-lines.txt")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().skip(200).limit(60)
                    .reduce((a, b) -> a + "\n" + b).orElseThrow();
        }
        try (LlamaModel model = LlamaModel.load(convert(c, true), ModelOptions.defaults().withVocabOnly(true))) {
            Vocab v = model.vocab();
            assertEquals(Gpt2Tokenizer.END_OF_TEXT, v.eos());
            int[] expected = Gpt2Tokenizer.get().encode(text);
            assertTrue(expected.length > 300, "a substantial sample: " + expected.length);
            assertArrayEquals(expected, v.tokenize(text, false, false));
            assertEquals(text, v.detokenize(expected));
        }
    }
}

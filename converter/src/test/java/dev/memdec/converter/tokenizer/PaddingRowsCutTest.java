package dev.memdec.converter.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.gguf.GgufValue;
import dev.memdec.converter.gguf.GgufWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cutting a vocabulary to the tokenizer's length (reference-spec §7.4): only trailing padding rows go. */
class PaddingRowsCutTest {

    @TempDir
    Path dir;

    private static BpeVocabulary vocabulary(List<String> tokens, int eos) {
        int[] types = new int[tokens.size()];
        for (int id = 0; id < types.length; id++) {
            types[id] = PaddingRows.isPadding(tokens.get(id), id) ? 5 : 1;
        }
        return new BpeVocabulary("gpt2", "default", tokens, types, List.of("a b"), -1, eos, OptionalInt.empty(), false);
    }

    @Test
    void aVocabularyLosesItsTrailingPaddingRowsAndKeepsItsHash() {
        BpeVocabulary padded = vocabulary(List.of("a", "b", "ab", "[PAD3]", "[PAD4]"), 2);
        BpeVocabulary real = padded.withoutPaddingRows();
        assertEquals(List.of("a", "b", "ab"), real.tokens());
        assertArrayEquals(new int[] {1, 1, 1}, real.tokenTypes());
        assertEquals(padded.sha256(), real.sha256());
        assertSame(real, real.withoutPaddingRows());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> vocabulary(List.of("a", "b", "[PAD2]"), 2).withoutPaddingRows());
        assertTrue(e.getMessage().contains("eos_token_id: 2") && e.getMessage().contains("padding row"), e.getMessage());
    }

    @Test
    void aCopiedTokenizerIsCutInEveryPerTokenArray() throws Exception {
        Path p = dir.resolve("padded.gguf");
        GgufWriter w = new GgufWriter().putString(GgufKeys.ARCHITECTURE, "llama");
        vocabulary(List.of("a", "b", "ab", "[PAD3]", "[PAD4]"), 2).writeTo(w);
        w.putValue(GgufKeys.TOKENIZER_SCORES, GgufValue.ofFloat32Array(new float[] {0, -1, -2, -1000, -1000}));
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            CopiedGgufTokenizer t = CopiedGgufTokenizer.of(f);
            CopiedGgufTokenizer cut = t.truncatedTo(3);
            assertEquals(3, cut.size());
            assertEquals(List.of("a", "b", "ab"), cut.keys().get(GgufKeys.TOKENIZER_TOKENS).asStringList());
            assertArrayEquals(new int[] {1, 1, 1}, cut.keys().get(GgufKeys.TOKENIZER_TOKEN_TYPE).asInt32Array());
            assertArrayEquals(new float[] {0, -1, -2}, cut.keys().get(GgufKeys.TOKENIZER_SCORES).asFloat32Array());
            assertEquals(t.keys().get(GgufKeys.TOKENIZER_MERGES), cut.keys().get(GgufKeys.TOKENIZER_MERGES));
            assertEquals(t.keys().get(GgufKeys.TOKENIZER_EOS), cut.keys().get(GgufKeys.TOKENIZER_EOS));
            assertEquals(t.canonicalSha256(), cut.canonicalSha256());
            assertEquals(4, t.truncatedTo(4).size());
            assertSame(t, t.truncatedTo(5));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.truncatedTo(2));
            assertTrue(e.getMessage().contains("3 of them real tokens"), e.getMessage());
        }
    }
}

package dev.memdec.converter.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Gpt2TokenizerTest {

    private static final BpeVocabulary VOCAB = Gpt2Tokenizer.vocabulary();
    /** memdec.tokenizer_sha256 of GPT-2; if this changes, every stored model's tokenizer check breaks. */
    static final String PINNED_GPT2_SHA256 = "641656a55b3f2c78e32272bed66263668555a66f546cabbfd113bb4e469c3f19";

    @Test
    void ranksResourceIsTiktokensPinnedR50k() throws Exception {
        try (InputStream in = Gpt2Tokenizer.class.getResourceAsStream(Gpt2Tokenizer.RANKS_RESOURCE)) {
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(in.readAllBytes());
            assertEquals("306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
                    HexFormat.of().formatHex(sha));
        }
    }

    @Test
    void vocabularyShapeMatchesGpt2() {
        assertEquals("gpt2", VOCAB.model());
        assertEquals("gpt-2", VOCAB.pre());
        assertEquals(50257, VOCAB.size());
        assertEquals(50256, VOCAB.bos());
        assertEquals(50256, VOCAB.eos());
        assertEquals(OptionalInt.empty(), VOCAB.pad());
        assertEquals("<|endoftext|>", VOCAB.tokens().get(50256));
        assertEquals(BpeVocabulary.TYPE_CONTROL, VOCAB.tokenType(50256));
        for (int id = 0; id < 50256; id++) {
            assertEquals(BpeVocabulary.TYPE_NORMAL, VOCAB.tokenType(id), "type of id " + id);
        }
        assertEquals(50257, new HashSet<>(VOCAB.tokens()).size(), "tokens are unique");
        for (int b = 0; b < 256; b++) {
            assertTrue(VOCAB.tokens().contains(String.valueOf(ByteLevelUnicode.charOf(b))), "byte symbol " + b);
        }
        // Well-known GPT-2 ids (HF vocab.json): '!' = 0, 'Ġthe' = 262, 'Ġ' = 220, 'Ċ' = 198.
        assertEquals("!", VOCAB.tokens().get(0));
        assertEquals("Ġthe", VOCAB.tokens().get(262));
        assertEquals("Ġ", VOCAB.tokens().get(220));
        assertEquals("Ċ", VOCAB.tokens().get(198));
    }

    @Test
    void mergesAreRebuiltInRankOrder() {
        List<String> merges = VOCAB.merges();
        assertEquals(50000, merges.size());
        assertEquals(List.of("Ġ t", "Ġ a", "h e"), merges.subList(0, 3));
        // Merge r produces token 256 + r.
        for (int r = 0; r < merges.size(); r++) {
            String m = merges.get(r);
            assertEquals(VOCAB.tokens().get(256 + r), m.replaceFirst(" ", ""), "merge " + r);
        }
    }

    @Test
    void encodeEqualsJTokkitR50k() {
        Encoding reference = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
        ByteLevelBpeTokenizer tokenizer = Gpt2Tokenizer.get();
        List<String> samples = samples();
        assertTrue(samples.size() >= 300);
        for (String s : samples) {
            int[] expected = reference.encodeOrdinary(s).toArray();
            int[] actual = tokenizer.encode(s);
            assertArrayEquals(expected, actual, () -> "encoding of '" + s + "'");
            assertEquals(s, tokenizer.decode(actual), "round trip");
        }
    }

    @Test
    void endOfTextTextIsOrdinaryAndDecodes() {
        ByteLevelBpeTokenizer tokenizer = Gpt2Tokenizer.get();
        int[] ids = tokenizer.encode("<|endoftext|>");
        assertTrue(ids.length > 1, "special text is not parsed as the control token");
        assertEquals("<|endoftext|>", tokenizer.decode(new int[] {Gpt2Tokenizer.END_OF_TEXT}));
        assertArrayEquals(new int[] {15496, 995}, tokenizer.encode("Hello world"));
    }

    @Test
    void sha256IsCanonicalAndSensitive() {
        String sha = VOCAB.sha256();
        assertEquals(PINNED_GPT2_SHA256, sha);
        BpeVocabulary copy = new BpeVocabulary(VOCAB.model(), VOCAB.pre(), new ArrayList<>(VOCAB.tokens()),
                VOCAB.tokenTypes(), new ArrayList<>(VOCAB.merges()), VOCAB.bos(), VOCAB.eos(), VOCAB.pad(), true);
        assertEquals(sha, copy.sha256(), "addBos is not hashed; equal content hashes equal");
        BpeVocabulary otherEos = new BpeVocabulary(VOCAB.model(), VOCAB.pre(), VOCAB.tokens(), VOCAB.tokenTypes(),
                VOCAB.merges(), VOCAB.bos(), 0, VOCAB.pad(), false);
        assertNotEquals(sha, otherEos.sha256());
        List<String> swapped = new ArrayList<>(VOCAB.merges());
        swapped.set(0, VOCAB.merges().get(1));
        swapped.set(1, VOCAB.merges().get(0));
        BpeVocabulary otherMerges = new BpeVocabulary(VOCAB.model(), VOCAB.pre(), VOCAB.tokens(), VOCAB.tokenTypes(),
                swapped, VOCAB.bos(), VOCAB.eos(), VOCAB.pad(), false);
        assertNotEquals(sha, otherMerges.sha256());
        BpeVocabulary otherPre = new BpeVocabulary(VOCAB.model(), "qwen2", VOCAB.tokens(), VOCAB.tokenTypes(),
                VOCAB.merges(), VOCAB.bos(), VOCAB.eos(), VOCAB.pad(), false);
        assertNotEquals(sha, otherPre.sha256());
    }

    /** GPT-2's vocabulary padded up to {@code rows} the way llama.cpp's converter pads Qwen's ([PAD<id>], UNUSED). */
    private static BpeVocabulary padded(int rows) {
        List<String> tokens = new ArrayList<>(VOCAB.tokens());
        int[] types = java.util.Arrays.copyOf(VOCAB.tokenTypes(), rows);
        for (int id = tokens.size(); id < rows; id++) {
            tokens.add(PaddingRows.name(id));
            types[id] = 5;
        }
        return new BpeVocabulary(VOCAB.model(), VOCAB.pre(), tokens, types, VOCAB.merges(), VOCAB.bos(), VOCAB.eos(),
                VOCAB.pad(), false);
    }

    @Test
    void paddingRowsDoNotChangeTheHash() {
        BpeVocabulary small = padded(50_304);
        BpeVocabulary large = padded(50_432);
        assertEquals(50_257, PaddingRows.realSize(small.tokens()));
        assertEquals(50_257, PaddingRows.realSize(large.tokens()));
        assertEquals(PINNED_GPT2_SHA256, small.sha256(), "padding rows are not tokens");
        assertEquals(PINNED_GPT2_SHA256, large.sha256());
        // a real token where the other has a padding row is a different vocabulary
        List<String> extra = new ArrayList<>(large.tokens());
        extra.set(50_257, "<|extra|>");
        BpeVocabulary withExtra = new BpeVocabulary(VOCAB.model(), VOCAB.pre(), extra, large.tokenTypes(), VOCAB.merges(),
                VOCAB.bos(), VOCAB.eos(), VOCAB.pad(), false);
        assertEquals(50_258, PaddingRows.realSize(withExtra.tokens()));
        assertNotEquals(PINNED_GPT2_SHA256, withExtra.sha256());
        // only [PAD<own id>] is padding, and only in the trailing run
        assertEquals(3, PaddingRows.realSize(List.of("a", "[PAD0]", "[PAD5]", "[PAD3]", "[PAD4]")));
        assertEquals(0, PaddingRows.realSize(List.of("[PAD0]")));
    }

    @Test
    void rejectsMalformedVocabularies() {
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class, () -> new BpeVocabulary("gpt2",
                "gpt-2", List.of("a", "a"), new int[] {1, 1}, List.of(), 0, 0, OptionalInt.empty(), false));
        assertTrue(dup.getMessage().contains("tokens[1]"), dup.getMessage());
        IllegalArgumentException types = assertThrows(IllegalArgumentException.class, () -> new BpeVocabulary("gpt2",
                "gpt-2", List.of("a", "b"), new int[] {1}, List.of(), 0, 0, OptionalInt.empty(), false));
        assertTrue(types.getMessage().contains("token_type"), types.getMessage());
        IllegalArgumentException eos = assertThrows(IllegalArgumentException.class, () -> new BpeVocabulary("gpt2",
                "gpt-2", List.of("a", "b"), new int[] {1, 1}, List.of(), 0, 2, OptionalInt.empty(), false));
        assertTrue(eos.getMessage().contains("eos_token_id"), eos.getMessage());
        IllegalArgumentException merge = assertThrows(IllegalArgumentException.class, () -> new BpeVocabulary("gpt2",
                "gpt-2", List.of("a", "b"), new int[] {1, 1}, List.of("ab"), 0, 0, OptionalInt.empty(), false));
        assertTrue(merge.getMessage().contains("merges[0]"), merge.getMessage());
    }

    /** Hand-picked edge cases plus seeded random mixtures of every character class the regex distinguishes. */
    static List<String> samples() {
        List<String> out = new ArrayList<>(List.of(
                "", " ", "  ", "\n", "\n\n\n", " \n ", "\t\tx", "a", "Hello world", "Hello, world!",
                "The quick brown fox jumps over the lazy dog.", "I'm you're we've they'll she'd it's", "'s'S 'T",
                "don't DON'T", "1234567890", " 12 345 6789", "3.14159e-10", "$100,000.00!!!", "a  b   c    d",
                "trailing spaces   ", "   leading", "tabs\tand\nnewlines\r\nmixed", "über café naïve résumé",
                "Привет мир", "こんにちは世界", "中文测试文本", "한국어", "العربية", "עברית", "ελληνικά",
                "emoji 😀👍🏽🇩🇪 end", "ZWJ 👨‍👩‍👧 family", "e\u0301 combining", "\u00a0nbsp\u2003em space",
                "<|endoftext|>", "<|endoftext|>The end", "= = Valkyria Chronicles III = =", " @-@ ", " @,@ ",
                "def f(x):\n    return x ** 2\n", "{\"json\": [1, 2, 3]}", "https://example.org/path?q=1&r=2",
                "ŁĄĆĘ", "ǅǈ", "Ⅻ ⅻ ½ ² ٣", "\u0000\u0001\u007f", "..." , "!!!???", "—–-", "“quotes” ‘single’",
                "x".repeat(300), " ".repeat(50) + "y", "ab".repeat(100), "\ud83d\ude00".repeat(20)));
        String[] pieces = {"the", "The", " of", "and", "'s", "'re", "'ll", "'d", "'m", "'ve", "'t", " ", "  ", "\n",
                "\t", "\r\n", "0", "42", "2024", "3.5", ",", ".", "!", "?", "--", "(", ")", "\"", "'", "é", "ß", "ñ",
                "Ж", "ж", "日本", "語", "😀", "🏽", "\u0301", "\u00a0", "\u2028", "@", "#", "_", "a", "z", "Q",
                "ing", " ing", "tion", "ly", "ö", "İ", "ǅ", "\u3000", "١٢", "Ⅻ"};
        Random random = new Random(20261123L);
        for (int i = 0; i < 300; i++) {
            StringBuilder sb = new StringBuilder();
            int n = 1 + random.nextInt(25);
            for (int j = 0; j < n; j++) {
                if (random.nextInt(8) == 0) {
                    sb.appendCodePoint(0x20 + random.nextInt(0x2FF));
                } else {
                    sb.append(pieces[random.nextInt(pieces.length)]);
                }
            }
            out.add(sb.toString());
        }
        return out;
    }
}

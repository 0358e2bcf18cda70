package dev.memdec.converter.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {

    private static final List<String> TEXT = List.of(
            "In the beginning God created the heaven and the earth. And the earth was without form, and void; "
                    + "and darkness was upon the face of the deep.",
            "And God said, Let there be light: and there was light. And God saw the light, that it was good: "
                    + "and God divided the light from the darkness. Caf\u00e9 na\u00efve \u65e5\u672c 123 4567!");

    @Test
    void learnsTheRequestedSizeWithByteTokensFirstAndEndOfTextLast() {
        BpeVocabulary v = BpeTrainer.train(TEXT, 280);
        assertEquals(280, v.size());
        assertEquals(279, v.eos());
        assertEquals(279, v.bos());
        assertEquals(BpeTrainer.END_OF_TEXT_TOKEN, v.tokens().get(279));
        assertEquals(BpeVocabulary.TYPE_CONTROL, v.tokenType(279));
        for (int b = 0; b < 256; b++) {
            assertEquals(String.valueOf(ByteLevelUnicode.charOf(b)), v.tokens().get(b));
        }
        assertEquals("gpt2", v.model());
        assertEquals("gpt-2", v.pre());
        // The most frequent pair of this text is merged first.
        assertEquals("t h", v.merges().get(0));
    }

    @Test
    void encodingRoundTripsAndCompresses() {
        ByteLevelBpeTokenizer t = new ByteLevelBpeTokenizer(BpeTrainer.train(TEXT, 290));
        for (String s : TEXT) {
            int[] ids = t.encode(s);
            assertEquals(s, t.decode(ids));
            assertTrue(ids.length < s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length * 3 / 4,
                    ids.length + " tokens for " + s.length() + " chars");
        }
        // Text never seen still encodes (byte fallback) and round-trips.
        String unseen = "Zebras \u00fcber \ud83d\ude00 quietly";
        assertEquals(unseen, t.decode(t.encode(unseen)));
    }

    @Test
    void isDeterministic() {
        assertEquals(BpeTrainer.train(TEXT, 285).sha256(), BpeTrainer.train(List.copyOf(TEXT), 285).sha256());
    }

    @Test
    void stopsWhenNoPairRepeats() {
        BpeVocabulary v = BpeTrainer.train(List.of("ab"), 1000);
        assertEquals(257, v.size());   // 'a b' occurs once: nothing worth merging
        assertTrue(v.merges().isEmpty());
        assertArrayEquals(new int[] {'a', 'b'}, new ByteLevelBpeTokenizer(v).encode("ab"));
    }

    @Test
    void refusesSizesOutsideTheRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BpeTrainer.train(TEXT, 100));
        assertTrue(e.getMessage().contains("vocabulary size must be in [258"), e.getMessage());
    }
}

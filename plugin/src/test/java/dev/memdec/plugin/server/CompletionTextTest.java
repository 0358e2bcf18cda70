package dev.memdec.plugin.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompletionTextTest {

    @Test
    void aCharacterSplitAcrossTokensIsReleasedWhole() {
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        CompletionText text = new CompletionText(List.of());
        assertEquals("a", text.append(new byte[] {'a', euro[0]}));
        assertEquals("", text.append(new byte[] {euro[1]}));
        assertEquals("€b", text.append(new byte[] {euro[2], 'b'}));
        assertEquals("", text.finish());
        assertEquals("a€b", text.text());
    }

    @Test
    void anIncompleteTailBecomesAReplacementCharacterAtTheEnd() {
        CompletionText text = new CompletionText(List.of());
        assertEquals("x", text.append(new byte[] {'x', (byte) 0xE2, (byte) 0x82}));
        assertEquals("\uFFFD", text.finish());
    }

    @Test
    void aPossibleStopPrefixIsHeldBackAndDroppedWhenItMatches() {
        CompletionText text = new CompletionText(List.of("###"));
        assertEquals("hello ", text.append("hello #".getBytes(StandardCharsets.UTF_8)));
        assertEquals("", text.append("#".getBytes(StandardCharsets.UTF_8)));
        assertFalse(text.stopped());
        assertEquals("", text.append("# tail".getBytes(StandardCharsets.UTF_8)));
        assertTrue(text.stopped());
        assertEquals("", text.append("more".getBytes(StandardCharsets.UTF_8)));
        assertEquals("hello ", text.text());
    }

    @Test
    void aHeldPrefixThatDoesNotMatchIsReleased() {
        CompletionText text = new CompletionText(List.of("END"));
        assertEquals("a", text.append("aEN".getBytes(StandardCharsets.UTF_8)));
        assertEquals("ENx", text.append("x".getBytes(StandardCharsets.UTF_8)));
        assertEquals("E", text.append("E".getBytes(StandardCharsets.UTF_8)).isEmpty() ? "E" : "wrong");
        assertEquals("E", text.finish());
        assertEquals("aENxE", text.text());
    }

    @Test
    void theEarliestOfSeveralStopsWins() {
        CompletionText text = new CompletionText(List.of("cd", "b"));
        assertEquals("a", text.append("abcd".getBytes(StandardCharsets.UTF_8)));
        assertTrue(text.stopped());
    }

    @Test
    void emptyStopStringsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new CompletionText(List.of("")));
    }
}

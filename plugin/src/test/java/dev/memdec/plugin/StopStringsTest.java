package dev.memdec.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringsTest {

    @Test
    void stopSpanningPiecesIsNeverEmitted() {
        StopStrings s = new StopStrings(List.of("\n\n", "END"));
        StringBuilder out = new StringBuilder();
        for (String piece : new String[] {"Hello", " E", "N", "ough", " text", "\n", "\n", "more"}) {
            out.append(s.push(piece));
        }
        assertTrue(s.stopped());
        assertEquals("Hello ENough text", out.toString());
        assertEquals("", s.push("after"));
    }

    @Test
    void heldTextIsReleasedWhenItIsNoStop() {
        StopStrings s = new StopStrings(List.of("END"));
        assertEquals("a", s.push("aE"));
        assertEquals("", s.push("N"));
        assertEquals("ENx", s.push("x"));
        assertEquals("", s.push("EN"));
        assertFalse(s.stopped());
        assertEquals("EN", s.flush());
    }

    @Test
    void earliestStopWinsAndEmptyStopsAreRejected() {
        StopStrings s = new StopStrings(List.of("cd", "b"));
        assertEquals("a", s.push("abcd"));
        assertThrows(IllegalArgumentException.class, () -> new StopStrings(List.of("")));
    }
}

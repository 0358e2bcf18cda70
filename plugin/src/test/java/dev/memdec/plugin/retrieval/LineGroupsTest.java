package dev.memdec.plugin.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LineGroupsTest {

    /** Line i holds {@code lengths[i]} ids numbered consecutively over the file, so cuts are visible. */
    static List<int[]> lines(int... lengths) {
        List<int[]> out = new ArrayList<>();
        int next = 0;
        for (int n : lengths) {
            out.add(IntStream.range(next, next + n).toArray());
            next += n;
        }
        return out;
    }

    @Test
    void wholeFileIsOneStream() {
        List<int[]> s = LineGroups.streams("f", lines(5, 0, 3), 0, 4);
        assertEquals(1, s.size());
        assertArrayEquals(IntStream.range(0, 8).toArray(), s.get(0));
        assertEquals(0, LineGroups.streams("f", lines(), 0, 4).get(0).length, "an empty file is one empty stream");
    }

    @Test
    void everyGroupIsCutToAMultipleOfCtxAndShortGroupsAreKept() {
        // groups of 3 lines: 5+5+5 = 15 -> 12, 5+5+5 = 15 -> 12, 2 (< ctx) kept whole; an all-empty group vanishes
        List<int[]> s = LineGroups.streams("f", lines(5, 5, 5, 5, 5, 5, 0, 0, 0, 2), 3, 4);
        assertEquals(3, s.size());
        assertArrayEquals(IntStream.range(0, 12).toArray(), s.get(0), "first group: its last 3 ids dropped");
        assertArrayEquals(IntStream.range(15, 27).toArray(), s.get(1), "second group starts fresh at id 15");
        assertArrayEquals(new int[] {30, 31}, s.get(2));
        assertEquals(List.of(8), LineGroups.streams("f", lines(4, 4, 1), 3, 4).stream().map(a -> a.length).toList(),
                "9 tokens -> 8 (two blocks of 4)");
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> LineGroups.streams("f", lines(1), -1, 4));
        assertThrows(IllegalArgumentException.class, () -> new DatastoreBuilder.Options(32, 16, KeyType.FFN_INPUT, 1, -2));
    }
}

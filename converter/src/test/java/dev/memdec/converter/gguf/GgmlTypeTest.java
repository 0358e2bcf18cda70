package dev.memdec.converter.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GgmlTypeTest {

    @Test
    void idsAndGeometryMatchGgml() {
        assertEquals(GgmlType.Q8_0, GgmlType.fromId(8));
        assertEquals(34, GgmlType.Q8_0.typeSize());
        assertEquals(GgmlType.BF16, GgmlType.fromId(30));
        assertEquals(256, GgmlType.Q6_K.blockSize());
        assertEquals(210, GgmlType.Q6_K.typeSize());
        assertEquals(GgmlType.TQ2_0, GgmlType.fromId(35));
        for (int removed : new int[] {4, 5, 31, 32, 33, 36, 37, 38, 39, -1, 1000}) {
            assertTrue(GgmlType.find(removed).isEmpty(), "id " + removed);
            assertThrows(IllegalArgumentException.class, () -> GgmlType.fromId(removed));
        }
        for (GgmlType t : GgmlType.values()) {
            assertEquals(t, GgmlType.fromId(t.id()));
        }
    }

    @Test
    void fileTypesHaveTheirTraps() {
        assertEquals(0, GgmlType.F32.fileType());
        assertEquals(1, GgmlType.F16.fileType());
        assertEquals(2, GgmlType.Q4_0.fileType());
        assertEquals(7, GgmlType.Q8_0.fileType());
        assertEquals(32, GgmlType.BF16.fileType());
        assertEquals("MOSTLY_Q8_0", GgmlType.Q8_0.fileTypeName());
        assertThrows(IllegalStateException.class, GgmlType.I32::fileType);
    }

    @Test
    void encodableTypes() {
        Set<GgmlType> expected = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0);
        for (GgmlType t : GgmlType.values()) {
            assertEquals(expected.contains(t), t.canEncode(), t.toString());
        }
    }

    @Test
    void byteSizeChecksBlocksAndOverflow() {
        assertEquals(34L * 4 * 3, GgmlType.Q8_0.byteSize(new long[] {128, 3}));
        assertEquals(4L * 6, GgmlType.F32.byteSize(new long[] {3, 2}));
        assertThrows(IllegalArgumentException.class, () -> GgmlType.Q8_0.byteSize(new long[] {48, 2}));
        assertThrows(IllegalArgumentException.class, () -> GgmlType.F32.byteSize(new long[] {1L << 40, 1L << 30}));
        assertThrows(IllegalArgumentException.class, () -> GgmlType.F32.byteSize(new long[] {-1}));
        assertFalse(GgmlType.F16.isBlockQuantized());
    }
}

package dev.memdec.plugin.bench;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MachineProbesTest {

    @Test
    void peakRssCoversAnArrayThatWasTouched() {
        byte[] block = new byte[64 << 20];
        for (int i = 0; i < block.length; i += 4096) {
            block[i] = 1;
        }
        long rss = PeakRss.bytes().orElseThrow();
        assertTrue(rss >= block.length, "peak RSS " + rss + " below a touched 64 MiB array");
    }

    @Test
    void bandwidthIsPositiveAndSizeIsChecked() {
        assertTrue(MemoryBandwidth.measure(8 << 20, 2, 2) > 0);
        assertThrows(IllegalArgumentException.class, () -> MemoryBandwidth.measure(16, 2, 1));
    }
}

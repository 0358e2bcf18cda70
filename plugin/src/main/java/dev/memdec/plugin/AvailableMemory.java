package dev.memdec.plugin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** Memory the kernel says it can give a new workload (Linux {@code MemAvailable}: free plus reclaimable cache). */
final class AvailableMemory {

    private AvailableMemory() {
    }

    /** Available bytes, or empty where /proc/meminfo cannot be read (not Linux). */
    static OptionalLong bytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    String[] parts = line.substring("MemAvailable:".length()).trim().split("\\s+");
                    return OptionalLong.of(Long.parseLong(parts[0]) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }
}

package dev.memdec.converter.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Checks on file flags shared by the commands, so that every command words these errors the same way. */
public final class CliFiles {

    private CliFiles() {
    }

    /**
     * Returns {@code path} if it is an existing regular file.
     *
     * @throws IllegalArgumentException naming the flag (or "FILE" for a positional argument) otherwise
     */
    public static Path existingFile(Path path, String flag) {
        if (!Files.exists(path)) {
            throw new IllegalArgumentException(flag + " " + path + ": no such file");
        }
        if (Files.isDirectory(path)) {
            throw new IllegalArgumentException(flag + " " + path + ": is a directory, expected a file");
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new IllegalArgumentException(flag + " " + path + ": not a readable regular file");
        }
        return path;
    }
}

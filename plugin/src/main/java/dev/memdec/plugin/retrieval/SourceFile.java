package dev.memdec.plugin.retrieval;

import dev.memdec.converter.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** An input file a datastore was built from (host model or corpus), identified by content. */
public record SourceFile(String path, long bytes, String sha256) {

    public static SourceFile of(Path file) throws IOException {
        return new SourceFile(file.getFileName().toString(), Files.size(file), AtomicFiles.sha256(file));
    }
}

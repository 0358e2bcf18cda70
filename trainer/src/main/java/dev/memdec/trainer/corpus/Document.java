package dev.memdec.trainer.corpus;

import java.util.List;

/**
 * One document of a corpus: a stable id (a Brown file name, a Bible chapter) and its text as lines, one
 * paragraph (or verse) per line, without newlines.
 */
public record Document(String id, List<String> lines) {

    public Document {
        lines = List.copyOf(lines);
        for (String l : lines) {
            if (l.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("document " + id + ": a line contains a newline");
            }
        }
    }

    /** Characters of text, newlines included. */
    public long chars() {
        long n = 0;
        for (String l : lines) {
            n += l.length() + 1;
        }
        return n;
    }
}

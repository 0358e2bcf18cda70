package dev.memdec.trainer.corpus;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The King James Bible from Debian's {@code bible-kjv} package, read through its {@code bible} tool
 * ({@code bible -l10000 'Gen1:1-Rev22:21'} prints a {@code Book C} header per chapter and one {@code   N text}
 * line per verse). One document per chapter, one verse per line without its number.
 */
public final class KjvBible {

    /** The Debian package that provides the {@code bible} command. */
    public static final String DEBIAN_PACKAGE = "bible-kjv";
    private static final Pattern HEADER = Pattern.compile("(\\S.*) (\\d+)");
    private static final Pattern VERSE = Pattern.compile("\\s+(\\d+) (.*)");

    private KjvBible() {
    }

    /** Runs {@code bible} and parses its output. */
    public static List<Document> read() throws IOException {
        Process p;
        try {
            p = new ProcessBuilder("bible", "-l10000", "Gen1:1-Rev22:21").redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("the 'bible' command of Debian package " + DEBIAN_PACKAGE
                    + " is not installed; run scripts/setup.sh (apt-get install " + DEBIAN_PACKAGE + ")", e);
        }
        p.getOutputStream().close();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("'bible' (Debian package " + DEBIAN_PACKAGE + ") failed: "
                        + text.substring(0, Math.min(200, text.length())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running 'bible'", e);
        }
        List<Document> chapters = parse(text);
        if (chapters.size() != 1189) {
            throw new IllegalStateException("'bible' (Debian package " + DEBIAN_PACKAGE + ") printed "
                    + chapters.size() + " chapters, expected the 1,189 of the KJV");
        }
        return chapters;
    }

    /** Parses {@code bible -l} output into one document per chapter. */
    public static List<Document> parse(String text) {
        List<Document> out = new ArrayList<>();
        String id = null;
        List<String> verses = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Matcher v = VERSE.matcher(line);
            if (v.matches() && id != null) {
                verses.add(v.group(2).trim());
                continue;
            }
            Matcher h = HEADER.matcher(line.strip());
            if (!h.matches()) {
                throw new IllegalArgumentException("bible output: unexpected line '" + line + "'");
            }
            if (id != null && !verses.isEmpty()) {
                out.add(new Document(id, verses));
            }
            id = h.group(1) + " " + h.group(2);
            verses = new ArrayList<>();
        }
        if (id != null && !verses.isEmpty()) {
            out.add(new Document(id, verses));
        }
        return out;
    }
}

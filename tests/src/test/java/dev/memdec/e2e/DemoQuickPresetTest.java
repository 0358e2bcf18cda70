package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.trainer.corpus.DemoCorpora;
import dev.memdec.trainer.demo.DemoConfig;
import dev.memdec.trainer.demo.DemoPipeline;
import dev.memdec.trainer.demo.DemoReport;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code memdec demo --quick} as shipped: the real corpora (Brown from npm, the KJV from Debian; cached under the
 * project's .cache/corpora), the shipped host, and the honest baselines. The host must beat the unigram of its own
 * training text on general text, and the memory must beat both the host and the domain's unigram on domain text.
 */
class DemoQuickPresetTest {

    @Test
    void shippedHostAndMemoryBeatTheirCheapBaselines(@TempDir Path dir) throws Exception {
        DemoConfig config = DemoConfig.quick(2);
        DemoCorpora corpora = DemoCorpora.brownAndKjv(Path.of("..", ".cache", "corpora"), config.general(),
                config.domain());
        DemoReport report = new DemoPipeline(config, corpora, dir, System.err).run();
        System.err.print(report.formatTable());

        DemoReport.Row host = report.row(DemoPipeline.HOST);
        DemoReport.Row unigram = report.row(DemoPipeline.UNIGRAM);
        DemoReport.Row memory = report.row(DemoPipeline.MEMORY);
        assertTrue(host.generalPpl() < unigram.generalPpl(), "host " + host.generalPpl()
                + " must beat the unigram of its training text " + unigram.generalPpl() + " on general text");
        assertTrue(memory.domainPpl() < host.domainPpl(), "host + memory " + memory.domainPpl()
                + " must beat the host " + host.domainPpl() + " on domain text");
        assertTrue(memory.domainPpl() < unigram.domainPpl(), "host + memory " + memory.domainPpl()
                + " must beat the domain unigram " + unigram.domainPpl() + " on domain text");
        DemoReport.Row bigram = report.row(DemoPipeline.BIGRAM);
        DemoReport.Row hostBigram = report.row(DemoPipeline.HOST_BIGRAM);
        DemoReport.Row knn = report.row(DemoPipeline.KNN_LM);
        assertTrue(host.generalPpl() <= 0.7 * bigram.generalPpl(), "the shipped host " + host.generalPpl()
                + " must be a real language model: at most 0.7x the Kneser-Ney bigram " + bigram.generalPpl());
        assertTrue(memory.domainPpl() < hostBigram.domainPpl(), "host + memory " + memory.domainPpl()
                + " must beat host + domain bigram " + hostBigram.domainPpl() + " on domain text");
        assertTrue(memory.domainPpl() < knn.domainPpl(), "host + memory " + memory.domainPpl()
                + " must beat host + kNN-LM " + knn.domainPpl() + " on domain text");
        DemoReport.Row dapt = report.row(DemoPipeline.DAPT);
        assertTrue(memory.domainPpl() <= 1.05 * dapt.domainPpl(), "host + memory " + memory.domainPpl()
                + " must be within 1.05x of the DAPT host " + dapt.domainPpl() + " on domain text");
        DemoReport.Row mlp = report.row(DemoPipeline.MLP_MEMORY);
        assertTrue(mlp.domainPpl() < host.domainPpl(), "host + MLP memory " + mlp.domainPpl()
                + " must beat the host " + host.domainPpl() + " on domain text");
        assertTrue(mlp.domainPpl() < unigram.domainPpl(), "host + MLP memory " + mlp.domainPpl()
                + " must beat the domain unigram " + unigram.domainPpl() + " on domain text");
        assertEquals(0.0, report.lambdaZeroCheck(), 1e-9, "lambda 0 must give the host exactly");
        assertTrue(Files.size(dir.resolve("splits").resolve("general-test.txt")) > 0);
        assertTrue(Files.readString(dir.resolve("report.json")).contains("\"bigramLambda\""));
    }
}

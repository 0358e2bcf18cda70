package dev.memdec.trainer.demo;

import dev.memdec.trainer.corpus.DemoCorpora;
import dev.memdec.trainer.corpus.SplitPlan;
import dev.memdec.trainer.stop.GracefulStop;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The demo pipeline at test scale on generated text (a 1x32 host, a few kB per corpus), run under a
 * {@link GracefulStop} as {@code memdec demo} runs it; its {@link #main} is the process a test stops with SIGTERM.
 */
final class TinyDemo {

    static final SplitPlan GENERAL = new SplitPlan(10, 6_000, 800, 800);
    static final SplitPlan DOMAIN = new SplitPlan(10, 4_000, 800, 800);

    private TinyDemo() {
    }

    static DemoConfig config() {
        return new DemoConfig("tiny", GENERAL, DOMAIN, 300, "1x32x2", 32, 1, 4, 0, 1, 4, 0.5, 1, 1, 1e-2f, 3e-3f, 0.5f, 16, 16,
                DemoConfig.LAMBDAS, LambdaRule.DEFAULT, List.of("And the LORD"), 4, 1, 42);
    }

    /** The pipeline over generated general and domain texts under {@code dir}. */
    static DemoPipeline pipeline(Path dir) throws IOException {
        StringBuilder general = new StringBuilder();
        StringBuilder domain = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            general.append("The committee met on day ").append(i % 31).append(" to discuss the budget of town ")
                    .append(i % 13).append(".\n");
            domain.append("And the LORD spake unto Moses in the year ").append(i % 17).append(", saying, go unto ")
                    .append(i % 11 == 0 ? "Egypt" : "Canaan").append(".\n");
        }
        Files.createDirectories(dir);
        Path g = Files.writeString(dir.resolve("general.txt"), general);
        Path d = Files.writeString(dir.resolve("domain.txt"), domain);
        DemoCorpora corpora = DemoCorpora.fromFiles(g, GENERAL, d, DOMAIN, 4, dir.resolve("corpora"));
        return new DemoPipeline(config(), corpora, dir.resolve("work"), System.err).rebuildHost(true);
    }

    /** {@code TinyDemo DIR}: runs (or resumes) the tiny demo in {@code DIR} and exits with the command's status. */
    public static void main(String[] args) throws Exception {
        DemoPipeline pipeline = pipeline(Path.of(args[0]));
        System.exit(GracefulStop.run("demo", DemoPipeline.BOUNDARY, GracefulStop.WAIT, stop -> {
            pipeline.stopWhen(stop).run();
            return 0;
        }));
    }
}

package dev.memdec.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.memdec.trainer.model.TensorSource;
import dev.memdec.plugin.cli.Main;
import dev.memdec.trainer.model.Gpt2Lm;
import dev.memdec.trainer.stop.StoppableProcess;
import dev.memdec.trainer.train.Checkpoint;
import dev.memdec.trainer.train.TrainingState;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * SIGTERM to a real training process: it stops at a step boundary with a checkpoint and exits with the signal's
 * status instead of crashing inside libtorch, and a rerun resumes to the parameters of an uninterrupted run.
 */
class GracefulStopTest {

    private static String[] pretrain(Path corpus, Path out) {
        return new String[] {"pretrain", "--corpus", corpus.toString(), "--shape", "1x32x2", "--ctx", "16", "--seq", "16",
                "--batch", "1", "--epochs", "1", "--save-every", "5", "--valid-fraction", "0", "--threads", "1",
                "--lr", "1e-2", "--out", out.toString()};
    }

    private static void memdec(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(0, cl.execute(args), err.toString());
    }

    private static Map<String, float[]> parameters(Path out) throws Exception {
        Path checkpoint = Checkpoint.latest(out).orElseThrow();
        TrainingState state = Checkpoint.readState(checkpoint);
        Map<String, float[]> values = new java.util.LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            TensorSource saved = Checkpoint.modelTensors(m, checkpoint);
            Gpt2Lm.trainableTensors(state.shape()).forEach((name, shape) -> values.put(name, saved.read(name, shape)));
        }
        return values;
    }

    @Test
    void sigtermStopsAtAStepBoundaryAndTheRerunResumes(@TempDir Path dir) throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            text.append("Call me Ishmael, said sailor ").append(i % 7).append(" to the whale.\n");
        }
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, text);
        Path out = dir.resolve("interrupted");

        StoppableProcess p = StoppableProcess.start(dir, Main.class, pretrain(corpus, out));
        p.terminateWhen(() -> Checkpoint.latest(out).isPresent());
        p.assertStoppedGracefully("memdec: stop requested; training stops at the next step boundary");
        Optional<Path> checkpoint = Checkpoint.latest(out);
        long stoppedAt = Checkpoint.readState(checkpoint.orElseThrow()).step();
        assertTrue(stoppedAt >= 5, "stopped at step " + stoppedAt);
        assertTrue(p.stdout().contains("stopped on request after step " + stoppedAt), p.stdout());

        memdec(pretrain(corpus, out));
        Path straight = dir.resolve("straight");
        memdec(pretrain(corpus, straight));
        TrainingState resumed = Checkpoint.readState(Checkpoint.latest(out).orElseThrow());
        TrainingState uninterrupted = Checkpoint.readState(Checkpoint.latest(straight).orElseThrow());
        assertTrue(stoppedAt < uninterrupted.step(), "stopped at step " + stoppedAt + " of " + uninterrupted.step());
        assertEquals(uninterrupted.step(), resumed.step());
        assertEquals(uninterrupted.steps().stream().map(TrainingState.StepLoss::loss).toList(),
                resumed.steps().stream().map(TrainingState.StepLoss::loss).toList());
        Map<String, float[]> a = parameters(straight);
        Map<String, float[]> b = parameters(out);
        for (String name : a.keySet()) {
            float[] x = a.get(name);
            float[] y = b.get(name);
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i], y[i], 1e-6, name + "[" + i + "]");
            }
        }
    }
}

package dev.memdec.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.memdec.plugin.cli.Main;
import dev.memdec.trainer.model.Gpt2Lm;
import dev.memdec.trainer.train.Checkpoint;
import dev.memdec.trainer.train.TrainingState;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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

    /** Starts the launcher's main class in a new JVM with this test's classpath, in {@code cwd}. */
    private static Process start(Path cwd, Path stdout, Path stderr, String... args) throws Exception {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true",
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"), "-cp", classpath, Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        return pb.start();
    }

    private static Map<String, float[]> parameters(Path out) throws Exception {
        Path checkpoint = Checkpoint.latest(out).orElseThrow();
        TrainingState state = Checkpoint.readState(checkpoint);
        Map<String, float[]> values = new java.util.LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Gpt2Lm.TensorSource saved = Checkpoint.modelTensors(m, checkpoint);
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
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");

        Process p = start(cwd, stdout, stderr, pretrain(corpus, out));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (Checkpoint.latest(out).isEmpty()) {
            assertTrue(p.isAlive(), () -> "training exited early: " + read(stderr));
            assertTrue(System.nanoTime() < deadline, "no checkpoint within 180 s");
            Thread.sleep(20);
        }
        p.destroy();   // SIGTERM
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the process did not exit after SIGTERM");
        String err = read(stderr);
        assertEquals(143, p.exitValue(), err);
        assertTrue(err.contains("memdec: stop requested; training stops at the next step boundary"), err);
        assertFalse(err.contains("A fatal error has been detected"), err);
        try (Stream<Path> files = Files.list(cwd)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList());
        }
        Optional<Path> checkpoint = Checkpoint.latest(out);
        long stoppedAt = Checkpoint.readState(checkpoint.orElseThrow()).step();
        assertTrue(stoppedAt >= 5, "stopped at step " + stoppedAt);
        assertTrue(read(stdout).contains("stopped on request after step " + stoppedAt), read(stdout));

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

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}

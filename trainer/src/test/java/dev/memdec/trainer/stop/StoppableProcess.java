package dev.memdec.trainer.stop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A memdec entry point run in a new JVM with this test's classpath, for tests that send it SIGTERM: it starts the
 * process, waits until its work is under way, stops it and checks that it exited with SIGTERM's status without a
 * JVM crash.
 */
public final class StoppableProcess {

    private static final long START_SECONDS = 180;

    private final Process process;
    private final Path cwd;
    private final Path stdout;
    private final Path stderr;

    private StoppableProcess(Process process, Path cwd, Path stdout, Path stderr) {
        this.process = process;
        this.cwd = cwd;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Starts {@code mainClass} with {@code args} in a fresh working directory under {@code dir}. */
    public static StoppableProcess start(Path dir, Class<?> mainClass, String... args) throws IOException {
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true",
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                // the child runs on the same llama.cpp profile as the test (the suite runs on both)
                "-Dmemdec.runtime=" + System.getProperty("memdec.runtime", ""),
                "-Dmemdec.home=" + System.getProperty("memdec.home", "."), "-cp", classpath, mainClass.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        return new StoppableProcess(pb.start(), cwd, stdout, stderr);
    }

    /** A sign, on disk or in the output, that the process's work is under way. */
    @FunctionalInterface
    public interface Started {
        boolean test() throws IOException;
    }

    /** Waits (polling) until {@code started} holds while the process is still running, then sends SIGTERM. */
    public void terminateWhen(Started started) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
        while (!started.test()) {
            assertTrue(process.isAlive(), () -> "exited before its work was under way: " + stderr());
            assertTrue(System.nanoTime() < deadline, "work not under way within " + START_SECONDS + " s");
            Thread.sleep(10);
        }
        assertTrue(process.isAlive(), () -> "exited before SIGTERM: " + stderr());
        process.destroy();   // SIGTERM
    }

    /**
     * Waits for the exit and checks it was a graceful stop: status 143, the stop message and the given texts on
     * stderr, no "fatal error" and no hs_err file.
     */
    public void assertStoppedGracefully(String... stderrContains) throws InterruptedException, IOException {
        assertTrue(process.waitFor(180, TimeUnit.SECONDS), "the process did not exit after SIGTERM");
        String err = stderr();
        assertEquals(143, process.exitValue(), err);
        assertTrue(err.contains("memdec: stop requested; "), err);
        for (String s : stderrContains) {
            assertTrue(err.contains(s), () -> "stderr lacks \"" + s + "\": " + err);
        }
        assertFalse(err.contains("A fatal error has been detected"), err);
        assertFalse(err.contains("did not stop within"), err);
        try (Stream<Path> files = Files.list(cwd)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList());
        }
    }

    public String stdout() {
        return read(stdout);
    }

    public String stderr() {
        return read(stderr);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}

package dev.memdec.trainer.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.trainer.stop.StoppableProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a real demo process once its datastore stage has written a window: the running stage (datastore, kNN targets,
 * memory training or evaluation, whichever the signal meets) stops at its next boundary, the process exits with
 * SIGTERM's status instead of crashing in native code, and a rerun reuses the finished stages, resumes the
 * stopped one and reports what an uninterrupted run reports.
 */
class DemoGracefulStopTest {

    private static boolean stageStarted(Path work, String stage) throws IOException {
        if (!Files.isDirectory(work)) {
            return false;
        }
        try (Stream<Path> dirs = Files.list(work)) {
            return dirs.anyMatch(d -> d.getFileName().toString().startsWith(stage + "-"));
        }
    }

    private static boolean datastoreUnderWay(Path work) throws IOException {
        if (!Files.isDirectory(work)) {
            return false;
        }
        try (Stream<Path> dirs = Files.list(work)) {
            return dirs.anyMatch(d -> d.getFileName().toString().startsWith("datastore-")
                    && Files.exists(d.resolve("datastore/.progress.json")));
        }
    }

    @Test
    void sigtermStopsTheRunningStageAndTheRerunResumesToTheSameReport(@TempDir Path dir) throws Exception {
        Path interrupted = dir.resolve("interrupted");
        Path work = interrupted.resolve("work");
        StoppableProcess p = StoppableProcess.start(dir, TinyDemo.class, interrupted.toString());
        // Once the datastore has its first window on disk (or, should it finish first, the kNN stage has begun).
        p.terminateWhen(() -> datastoreUnderWay(work) || stageStarted(work, "knn"));
        p.assertStoppedGracefully("memdec: stop requested; demo stops at the next " + DemoPipeline.BOUNDARY,
                "memdec: demo stopped on request ");
        assertFalse(Files.exists(work.resolve("report.json")), "the stopped demo must not have a report");

        DemoReport resumed = TinyDemo.pipeline(interrupted).run();
        DemoReport straight = TinyDemo.pipeline(dir.resolve("straight")).run();
        assertTrue(stageStarted(work, "evaluate"));
        assertEquals(straight.table(), resumed.table());
        assertEquals(straight.sweep(), resumed.sweep());
        assertEquals(straight.continuations(), resumed.continuations());
    }
}

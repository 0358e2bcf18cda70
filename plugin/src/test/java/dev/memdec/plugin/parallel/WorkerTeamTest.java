package dev.memdec.plugin.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;

class WorkerTeamTest {

    @Test
    void everyPartRunsOnceARunPartZeroOnTheCaller() {
        for (int threads : new int[] {1, 2, 3}) {
            try (WorkerTeam team = new WorkerTeam(threads, "test-team")) {
                assertEquals(threads, team.size());
                for (int run = 0; run < 200; run++) { // run after run: the workers spin, park and wake again
                    int[] count = new int[threads];
                    AtomicReferenceArray<Thread> ran = new AtomicReferenceArray<>(threads);
                    team.run(p -> {
                        count[p]++;
                        ran.set(p, Thread.currentThread());
                    });
                    int[] once = new int[threads];
                    java.util.Arrays.fill(once, 1);
                    assertArrayEquals(once, count, threads + " threads, run " + run);
                    assertSame(Thread.currentThread(), ran.get(0));
                    for (int p = 1; p < threads; p++) {
                        assertTrue(ran.get(p) != Thread.currentThread() && ran.get(p).isDaemon(), "part " + p);
                    }
                    if (run % 50 == 0) {
                        Thread.sleep(5); // long enough for the workers to park
                    }
                }
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void aFailingPartIsRethrownAndTheTeamStaysUsable() {
        try (WorkerTeam team = new WorkerTeam(3, "test-team")) {
            IllegalStateException worker = assertThrows(IllegalStateException.class, () -> team.run(p -> {
                if (p == 2) {
                    throw new ArithmeticException("part two");
                }
            }));
            assertTrue(worker.getMessage().contains("part two"), worker.getMessage());
            ArithmeticException caller = assertThrows(ArithmeticException.class, () -> team.run(p -> {
                if (p == 0) {
                    throw new ArithmeticException("part zero");
                }
            }));
            assertEquals("part zero", caller.getMessage());
            int[] sum = new int[3];
            team.run(p -> sum[p] = p + 1);
            assertArrayEquals(new int[] {1, 2, 3}, sum);
        }
    }

    @Test
    void closeEndsTheWorkersAndALaterRunFails() throws InterruptedException {
        WorkerTeam team = new WorkerTeam(3, "test-team-close");
        Thread[] workers = new Thread[3];
        team.run(p -> workers[p] = Thread.currentThread());
        team.close();
        for (int p = 1; p < 3; p++) {
            workers[p].join(5_000);
            assertTrue(!workers[p].isAlive(), "worker " + p + " still running after close");
        }
        assertThrows(IllegalStateException.class, () -> team.run(p -> { }));
        assertThrows(IllegalArgumentException.class, () -> new WorkerTeam(0, "none"));
    }
}

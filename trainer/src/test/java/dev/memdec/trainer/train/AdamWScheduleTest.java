package dev.memdec.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AdamWScheduleTest {

    @Test
    void withoutWarmupTheScheduleIsTheReferencesLinearDecay() {
        AdamW.Settings s = AdamW.Settings.reference(1e-3f, 1f, 10);
        double peak = 1e-3f;
        for (long step = 0; step < 10; step++) {
            assertEquals(peak * (10 - step) / 10.0, s.learningRate(step), 1e-12, "step " + step);
        }
    }

    @Test
    void warmupRisesLinearlyToThePeakThenDecaysToZero() {
        AdamW.Settings s = AdamW.Settings.reference(2e-3f, 1f, 100, 10);
        double peak = 2e-3f;
        assertEquals(peak / 10.0, s.learningRate(0), 1e-12);
        assertEquals(peak * 5 / 10.0, s.learningRate(4), 1e-12);
        assertEquals(peak, s.learningRate(9), 1e-12, "the last warmup step reaches the peak");
        assertEquals(peak, s.learningRate(10), 1e-12, "the decay starts at the peak");
        assertEquals(peak / 90.0, s.learningRate(99), 1e-12, "the last step is one decay step above 0");
        double previous = Double.MAX_VALUE;
        for (long step = 10; step < 100; step++) {
            assertTrue(s.learningRate(step) < previous, "decays strictly after the warmup, step " + step);
            previous = s.learningRate(step);
        }
    }

    @Test
    void warmupMustEndBeforeTheRun() {
        var e = assertThrows(IllegalArgumentException.class, () -> AdamW.Settings.reference(1e-3f, 1f, 10, 10));
        assertTrue(e.getMessage().contains("warmupSteps"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TrainingOptions(0f, 1e-3f, 1, 4, 1, 1f, 0, 0.5f, -1));
    }
}

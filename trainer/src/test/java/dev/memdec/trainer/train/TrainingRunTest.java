package dev.memdec.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.memdec.trainer.model.Gpt2Lm;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingRunTest {

    private static final int VOCAB = 48;
    private static final Gpt2Config SHAPE = Gpt2Config.of(1, 32, 2, 16, VOCAB);
    private static final TrainingWindows DATA = new SyntheticWindows(10, 16, VOCAB, 4, 11);

    private static TrainingOptions options(int epochs, float beta) {
        return new TrainingOptions(beta, 2e-2f, epochs, 4, 42, 1.0f, 0, 0.55f);
    }

    private static TrainingRun run(NDManager m, Path out, TrainingOptions o, Gpt2Lm.TensorSource init) {
        return new TrainingRun(m, SHAPE, init, DATA.slice(0, 8), DATA.slice(8, 10), o, out, Map.of("tokenizer", "test"),
                null).progressTo(null);
    }

    private static Map<String, float[]> parameters(NDManager m, Path checkpoint) throws Exception {
        Gpt2Lm.TensorSource saved = Checkpoint.modelTensors(m, checkpoint);
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        Gpt2Lm.trainableTensors(SHAPE).forEach((name, shape) -> out.put(name, saved.read(name, shape)));
        return out;
    }

    @Test
    void lossFallsAndValidationIsReported(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            TrainingRun.Result r = run(m, dir, options(4, 0.5f), Gpt2Lm.randomInit(SHAPE, 42)).run();
            assertEquals(8, r.steps());
            var steps = r.state().steps();
            assertTrue(steps.get(steps.size() - 1).loss() < 0.8 * steps.get(0).loss(), "loss " + steps);
            assertEquals(4, r.state().epochs().size());
            double firstPpl = r.state().epochs().get(0).memoryPerplexity();
            double lastPpl = r.state().epochs().get(3).memoryPerplexity();
            assertTrue(lastPpl < firstPpl && firstPpl < VOCAB * 2, firstPpl + " -> " + lastPpl);
            assertTrue(Files.size(dir.resolve("loss.png")) > 1000);
        }
    }

    @Test
    void resumedRunEqualsUninterruptedRun(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Path straight = dir.resolve("straight");
            Path resumed = dir.resolve("resumed");
            TrainingOptions o = options(2, 0.5f);
            TrainingRun.Result a = run(m, straight, o, Gpt2Lm.randomInit(SHAPE, 42)).run();
            TrainingRun.Result half = run(m, resumed, o, Gpt2Lm.randomInit(SHAPE, 42)).runUntil(2);
            assertEquals(2, half.steps());
            // A fresh run object with another init proves the state comes from the checkpoint.
            TrainingRun.Result b = run(m, resumed, o, Gpt2Lm.randomInit(SHAPE, 7)).run();
            assertEquals(4, b.steps());
            Map<String, float[]> pa = parameters(m, a.checkpoint());
            Map<String, float[]> pb = parameters(m, b.checkpoint());
            for (String name : pa.keySet()) {
                float[] x = pa.get(name);
                float[] y = pb.get(name);
                for (int i = 0; i < x.length; i++) {
                    assertEquals(x[i], y[i], 1e-6, name + "[" + i + "]");
                }
            }
            assertEquals(a.state().steps().stream().map(TrainingState.StepLoss::loss).toList(),
                    b.state().steps().stream().map(TrainingState.StepLoss::loss).toList());
        }
    }

    @Test
    void refusesToResumeAnotherRun(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            run(m, dir, options(1, 0.5f), Gpt2Lm.randomInit(SHAPE, 42)).runUntil(1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> run(m, dir, options(1, 0.25f), Gpt2Lm.randomInit(SHAPE, 42)).run());
            assertTrue(e.getMessage().contains("of another run"), e.getMessage());
        }
    }

    @Test
    void warmupAsLongAsTheRunIsRefusedBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Path out = dir.resolve("run");
            TrainingOptions o = new TrainingOptions(0f, 2e-2f, 1, 4, 42, 1.0f, 0, 0.55f, 2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> run(m, out, o, Gpt2Lm.randomInit(SHAPE, 42)).run());
            assertTrue(e.getMessage().contains("--warmup 2 must be less than the run's 2 optimizer steps"), e.getMessage());
            assertTrue(!java.nio.file.Files.exists(out), "nothing written");
        }
    }

    @Test
    void nanLossStopsAndKeepsLastGoodCheckpoint(@TempDir Path dir) throws Exception {
        Gpt2Lm.TensorSource good = Gpt2Lm.randomInit(SHAPE, 42);
        Gpt2Lm.TensorSource poisoned = (name, shape) -> {
            float[] v = good.read(name, shape);
            if (name.equals("output_norm.weight")) {
                v[0] = Float.NaN;
            }
            return v;
        };
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> run(m, dir.resolve("a"), options(1, 0.5f), poisoned).run());
            assertEquals("loss is NaN at step 0 (epoch 1, training windows 0..3); stopped without applying it. "
                    + "No checkpoint was written yet.", e.getMessage());
            assertFalse(Checkpoint.latest(dir.resolve("a")).isPresent());
        }
    }
}

package dev.memdec.trainer.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.memdec.converter.fuzz.Fuzz;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.trainer.model.Gpt2Lm;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated training checkpoints (state.json, model.ndlist, optimizer.ndlist), made once from a real tiny model and
 * loaded the way a resumed run and {@code export} load them: state, parameters into a model of the state's shape,
 * optimizer moments. Each must load or be refused naming the file, and no claimed shape or length may be
 * allocated before it is checked against the file (DJL's decoder trusts both; {@link NdListFile} checks them).
 */
class CheckpointFuzzTest {

    private static final int CASES = 10_000;
    private static final Gpt2Config SHAPE = Gpt2Config.of(1, 8, 2, 8, 16);

    @TempDir
    static Path valid;

    @TempDir
    Path work;

    private static NDManager manager;
    private static Map<String, byte[]> checkpoint;

    @BeforeAll
    static void save() throws IOException {
        manager = NDManager.newBaseManager("PyTorch");
        TrainingOptions options = new TrainingOptions(0.5f, 2e-2f, 1, 4, 42, 1.0f, 0, 0.55f);
        try (NDManager m = manager.newSubManager();
             Gpt2Lm model = Gpt2Lm.create(m, SHAPE, Gpt2Lm.randomInit(SHAPE, 42));
             AdamW optimizer = new AdamW(m, model.parameters(), AdamW.Settings.reference(2e-2f, 1.0f, 10))) {
            TrainingState state = TrainingState.of(new Gpt2Lm.Spec(SHAPE), options, "fuzz", Map.of("k", "v"), 1,
                    List.of(), List.of());
            checkpoint = Fuzz.read(Checkpoint.save(valid, model, optimizer, state));
        }
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void checkpointsLoadOrFailNamingTheFile() throws IOException {
        Fuzz.Stats s = Fuzz.of("checkpoint").heapSlack(128L << 20).run(work, checkpoint, 20260410L, CASES, Fuzz.files(), dir -> {
            TrainingState state = Checkpoint.readState(dir);
            try (NDManager m = manager.newSubManager();
                 Gpt2Lm model = Gpt2Lm.create(m, state.shape(), Checkpoint.modelTensors(m, dir));
                 AdamW optimizer = new AdamW(m, model.parameters(), AdamW.Settings.reference(2e-2f, 1.0f, 10))) {
                Checkpoint.loadOptimizer(m, dir, optimizer);
            }
        });
        assertTrue(s.rejected() > CASES / 2 && s.parsed() > 50, s.toString());
    }
}

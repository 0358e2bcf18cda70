package dev.memdec.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2Tensors;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Gpt2LmTest {

    private static final Gpt2Config SHAPE = Gpt2Config.of(2, 32, 4, 16, 50);

    private static float[] logits(Gpt2Lm model, NDManager m, long[] tokens) {
        try (NDManager step = m.newSubManager()) {
            NDArray ids = OwnedArrays.longs(step, tokens, new Shape(1, tokens.length));
            return model.forward(ids).toFloatArray();
        }
    }

    @Test
    void laterTokensNeverChangeEarlierLogits() {
        try (NDManager m = NDManager.newBaseManager("PyTorch");
             Gpt2Lm model = Gpt2Lm.create(m, SHAPE, Gpt2Lm.randomInit(SHAPE, 1))) {
            float[] a = logits(model, m, new long[] {3, 7, 11, 2, 9, 4});
            float[] b = logits(model, m, new long[] {3, 7, 11, 40, 1, 0});
            int v = SHAPE.vocab();
            assertArrayEquals(Arrays.copyOf(a, 3 * v), Arrays.copyOf(b, 3 * v));
            assertNotEquals(a[3 * v], b[3 * v]);
        }
    }

    @Test
    void sameSeedSameModelOtherSeedOther() {
        try (NDManager m = NDManager.newBaseManager("PyTorch");
             Gpt2Lm a = Gpt2Lm.create(m, SHAPE, Gpt2Lm.randomInit(SHAPE, 5));
             Gpt2Lm b = Gpt2Lm.create(m, SHAPE, Gpt2Lm.randomInit(SHAPE, 5));
             Gpt2Lm c = Gpt2Lm.create(m, SHAPE, Gpt2Lm.randomInit(SHAPE, 6))) {
            String name = Gpt2Tensors.blk(1, "attn_qkv.weight");
            assertArrayEquals(a.values(name), b.values(name));
            assertNotEquals(a.values(name)[0], c.values(name)[0]);
            assertEquals(1f, a.values("blk.0.ffn_norm.weight")[5]);
        }
    }

    @Test
    void rejectsSequencesLongerThanContext() {
        try (NDManager m = NDManager.newBaseManager("PyTorch");
             Gpt2Lm model = Gpt2Lm.create(m, SHAPE, Gpt2Lm.randomInit(SHAPE, 1))) {
            assertThrows(IllegalArgumentException.class, () -> logits(model, m, new long[SHAPE.ctx() + 1]));
        }
    }
}

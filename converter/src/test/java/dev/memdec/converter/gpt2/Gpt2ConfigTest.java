package dev.memdec.converter.gpt2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class Gpt2ConfigTest {

    @Test
    void presetsHaveGpt2Shapes() {
        Gpt2Config s = Gpt2Config.small();
        assertEquals(new Gpt2Config(12, 768, 12, 1024, 50257, 3072, 1e-5f), s);
        assertEquals(124_439_808L, s.parameterCount(), "HF gpt2 parameter count");
        Gpt2Config m = Gpt2Config.medium();
        assertEquals(new Gpt2Config(24, 1024, 16, 1024, 50257, 4096, 1e-5f), m);
        assertEquals(354_823_168L, m.parameterCount(), "HF gpt2-medium parameter count");
        assertEquals(64, s.headDim());
    }

    @Test
    void tensorListMatchesLlamaCpp() {
        List<Gpt2Tensors.Spec> specs = Gpt2Tensors.of(Gpt2Config.small());
        assertEquals(149, specs.size(), "5 + 12 * n_layer (gguf-spec §2.2)");
        assertEquals(149, new HashSet<>(specs.stream().map(Gpt2Tensors.Spec::name).toList()).size());
        long counted = specs.stream().filter(t -> !t.name().equals(Gpt2Tensors.OUTPUT))
                .mapToLong(Gpt2Tensors.Spec::elementCount).sum();
        assertEquals(Gpt2Config.small().parameterCount(), counted);
    }

    @Test
    void validationNamesTheField() {
        IllegalArgumentException heads = assertThrows(IllegalArgumentException.class, () -> Gpt2Config.of(2, 64, 5, 32, 100));
        assertTrue(heads.getMessage().contains("heads 5"), heads.getMessage());
        IllegalArgumentException layers = assertThrows(IllegalArgumentException.class, () -> Gpt2Config.of(0, 64, 4, 32, 100));
        assertTrue(layers.getMessage().contains("layers"), layers.getMessage());
        IllegalArgumentException ctx = assertThrows(IllegalArgumentException.class, () -> Gpt2Config.of(1, 64, 4, -3, 100));
        assertTrue(ctx.getMessage().contains("ctx"), ctx.getMessage());
        IllegalArgumentException eps = assertThrows(IllegalArgumentException.class,
                () -> new Gpt2Config(1, 64, 4, 8, 100, 256, Float.NaN));
        assertTrue(eps.getMessage().contains("eps"), eps.getMessage());
    }
}

package dev.memdec.converter.mlp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.gguf.GgufValue;
import dev.memdec.converter.gguf.GgufWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MlpMemoryGgufTest {

    @TempDir
    Path dir;

    static final MlpMemoryConfig.Host HOST = new MlpMemoryConfig.Host("gpt2", 64, "ffn_norm-1", "ab".repeat(32));

    static MlpMemoryConfig gpt2(int width, int blocks) {
        return MlpMemoryConfig.gpt2(width, blocks, 300, HOST, "cd".repeat(32));
    }

    static MlpMemoryConfig llama(int width, int blocks) {
        return new MlpMemoryConfig(MlpMemoryConfig.Flavour.LLAMA, width, blocks, 96, 300, 1e-6f,
                new MlpMemoryConfig.Host("llama", 64, "ffn_norm-3", ""), "ef".repeat(32), 0.5f, 1.5f);
    }

    @Test
    void everyFlavourAndTypeRoundTrips() throws Exception {
        for (MlpMemoryConfig c : new MlpMemoryConfig[] {gpt2(64, 2), gpt2(32, 1), llama(64, 2), llama(32, 1)}) {
            for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0}) {
                Path out = dir.resolve(c.flavour() + "-" + c.width() + "-" + type + ".gguf");
                RandomMlpWeights w = new RandomMlpWeights(c, 7);
                MlpMemoryGguf.write(c, w, type, Map.of("general.name", "test"), out);
                try (GgufFile f = GgufFile.open(out)) {
                    assertTrue(MlpMemoryGguf.isMlpMemory(f));
                    assertEquals(c, MlpMemoryGguf.read(f), out.toString());
                    assertEquals(c.projects(), f.tensor(MlpMemoryTensors.INPUT).isPresent());
                    assertEquals(MlpMemoryTensors.of(c).size(), f.tensors().size());
                    GgufTensorInfo norm = f.tensor(MlpMemoryTensors.norm(0)).orElseThrow();
                    assertEquals(GgmlType.F32, norm.type(), "1-D tensors stay F32");
                    assertEquals(type, f.tensor(MlpMemoryTensors.OUTPUT).orElseThrow().type());
                    float[] expected = new float[c.width()];
                    w.apply(MlpMemoryTensors.norm(0)).read(0, expected, expected.length);
                    assertArrayEquals(expected, f.readFloats(norm));
                }
            }
        }
        // up + down matrices, their biases, block norm, final norm, head
        assertEquals(2 * 64 * 256 + 256 + 64 + 2 * 64 + 2 * 64 + 64 * 300, gpt2(64, 1).parameterCount());
    }

    @Test
    void aTypeTheRowsCannotTakeIsRefusedBeforeAnythingIsWritten() {
        MlpMemoryConfig c = new MlpMemoryConfig(MlpMemoryConfig.Flavour.GPT2, 48, 1, 192, 300, 1e-5f, HOST, "x", 0.25f, 1f);
        Path out = dir.resolve("q4.gguf");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MlpMemoryGguf.write(c, new RandomMlpWeights(c, 1), GgmlType.Q4_0, Map.of(), out));
        assertTrue(e.getMessage().contains("block size 32"), e.getMessage());
        assertFalse(Files.exists(out));
        assertThrows(IllegalArgumentException.class, () -> MlpMemoryGguf.write(c, new RandomMlpWeights(c, 1),
                GgmlType.F32, Map.of("memdec.host.architecture", "llama"), out));
        assertFalse(Files.exists(out));
    }

    @Test
    void missingMisshapenOrMistypedTensorsAndBadKeysAreOneLineErrors() throws Exception {
        MlpMemoryConfig c = gpt2(64, 2);
        Path valid = dir.resolve("valid.gguf");
        MlpMemoryGguf.write(c, new RandomMlpWeights(c, 3), GgmlType.Q8_0, Map.of(), valid);
        assertRefused(valid, "missing.gguf", t -> !t.name().equals(MlpMemoryTensors.up(1)), UnaryOperator.identity(),
                "tensor 'blk.1.ffn_up.weight' is missing");
        Path other = dir.resolve("other.gguf");
        MlpMemoryConfig wider = gpt2(32, 2);
        MlpMemoryGguf.write(wider, new RandomMlpWeights(wider, 3), GgmlType.F32, Map.of(), other);
        // The metadata of c with the tensors of a 32-wide memory: the first shape differs.
        try (GgufFile meta = GgufFile.open(valid); GgufFile tensors = GgufFile.open(other)) {
            Path bad = dir.resolve("misshapen.gguf");
            GgufWriter w = new GgufWriter();
            meta.metadata().forEach(w::putValue);
            for (GgufTensorInfo t : tensors.tensors()) {
                w.addEncodedTensor(t.name(), t.type(), t.ne(), tensors.data(t));
            }
            w.write(bad);
            assertMessage(bad, "tensor 'blk.0.ffn_norm.weight' has shape [32], expected [64]");
        }
        assertRefused(valid, "extra.gguf", t -> true, UnaryOperator.identity(), null);
        assertRefused(valid, "arch.gguf", t -> true, k -> k.equals("general.architecture") ? "!gpt2" : k,
                "general.architecture is 'gpt2'");
        assertRefused(valid, "no-host.gguf", t -> true, k -> k.equals(MlpMemoryGguf.HOST_WIDTH) ? null : k,
                "metadata key 'memdec.host.embedding_length' is missing");
    }

    /** Copies {@code src}, keeping the tensors {@code keep} accepts and renaming or dropping keys; then reads it. */
    private void assertRefused(Path src, String name, Predicate<GgufTensorInfo> keep, UnaryOperator<String> key,
                               String message) throws Exception {
        Path bad = dir.resolve(name);
        try (GgufFile f = GgufFile.open(src)) {
            GgufWriter w = new GgufWriter();
            for (Map.Entry<String, GgufValue> e : f.metadata().entrySet()) {
                String k = key.apply(e.getKey());
                if (k == null) {
                    continue;
                }
                if (k.startsWith("!")) {
                    w.putString(e.getKey(), k.substring(1));
                } else {
                    w.putValue(k, e.getValue());
                }
            }
            for (GgufTensorInfo t : f.tensors()) {
                if (keep.test(t)) {
                    w.addEncodedTensor(t.name(), t.type(), t.ne(), f.data(t));
                }
            }
            if (message == null) {
                w.addTensor("blk.9.ffn_up.weight", GgmlType.F32, new long[] {64, 4}, (first, dst, n) -> { });
                message = "unexpected tensor(s) [blk.9.ffn_up.weight]";
            }
            w.write(bad);
        }
        assertMessage(bad, message);
    }

    private static void assertMessage(Path bad, String message) throws Exception {
        try (GgufFile f = GgufFile.open(bad)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MlpMemoryGguf.read(f));
            assertTrue(e.getMessage().contains(message), e.getMessage());
            assertTrue(e.getMessage().startsWith(f.name()), "names the file: " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        }
    }
}

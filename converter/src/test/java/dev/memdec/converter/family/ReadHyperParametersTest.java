package dev.memdec.converter.family;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link DecoderFamily#readHyperParameters} reads back what {@link DecoderGgufWriter} wrote, tied or not. */
class ReadHyperParametersTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3"})
    void roundTripsUntiedGqaWithAFreeHeadDimension(String arch) throws Exception {
        DecoderFamily family = DecoderFamilies.byName(arch).orElseThrow();
        RopeDecoderConfig c = new RopeDecoderConfig(2, 32, 4, 2, 16, 48, DecoderGgufWriterTest.VOCAB.size(), 64,
                1e-5f, 500_000f, false, 0);
        assertEquals(c, roundTrip(family, c));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3"})
    void roundTripsTiedShapes(String arch) throws Exception {
        DecoderFamily family = DecoderFamilies.byName(arch).orElseThrow();
        RopeDecoderConfig c = RopeDecoderConfig.of(1, 32, 4, 4, 40, DecoderGgufWriterTest.VOCAB.size(), 16).withTiedOutput(true);
        assertEquals(c, roundTrip(family, c));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama"})
    void anotherFamilysFileIsRefusedNamingTheKey(String arch) throws Exception {
        RopeDecoderConfig c = RopeDecoderConfig.of(1, 32, 4, 4, 40, DecoderGgufWriterTest.VOCAB.size(), 16);
        Path out = dir.resolve("m.gguf");
        DecoderGgufWriter.write(DecoderFamilies.byName(arch).orElseThrow(), c, DecoderGgufWriterTest.VOCAB,
                new RandomDecoderWeights(DecoderFamilies.byName(arch).orElseThrow().tensors(c), 1), GgmlType.F32, Map.of(), out);
        try (GgufFile f = GgufFile.open(out)) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> DecoderFamilies.byName("qwen2").orElseThrow().readHyperParameters(f));
            assertTrue(e.getMessage().contains("general.architecture is 'llama', expected 'qwen2'"), e.getMessage());
        }
    }

    private RopeDecoderConfig roundTrip(DecoderFamily family, RopeDecoderConfig c) throws Exception {
        Path out = dir.resolve(family.architecture() + ".gguf");
        DecoderGgufWriter.write(family, c, DecoderGgufWriterTest.VOCAB, new RandomDecoderWeights(family.tensors(c), 1),
                GgmlType.F32, Map.of(), out);
        try (GgufFile f = GgufFile.open(out)) {
            return family.readHyperParameters(f);
        }
    }
}

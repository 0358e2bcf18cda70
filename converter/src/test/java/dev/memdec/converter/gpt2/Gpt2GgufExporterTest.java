package dev.memdec.converter.gpt2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Gpt2GgufExporterTest {

    static final Gpt2Config TINY = Gpt2Config.of(2, 64, 4, 32, Gpt2Tokenizer.VOCAB_SIZE);

    @TempDir
    Path dir;

    @Test
    void f32FileHasEveryGpt2KeyAndExactTensors() throws Exception {
        BpeVocabulary vocab = Gpt2Tokenizer.vocabulary();
        RandomGpt2Weights weights = new RandomGpt2Weights(TINY, 5);
        Path out = dir.resolve("tiny-f32.gguf");
        Gpt2GgufExporter.write(TINY, weights, vocab, GgmlType.F32, Map.of("general.name", "tiny"), out);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals("gpt2", f.architecture());
            assertEquals("tiny", f.getString("general.name"));
            assertEquals(0, f.getUInt32("general.file_type"));
            assertFalse(f.find("general.quantization_version").isPresent());
            assertEquals(32, f.getUInt32("gpt2.context_length"));
            assertEquals(64, f.getUInt32("gpt2.embedding_length"));
            assertEquals(2, f.getUInt32("gpt2.block_count"));
            assertEquals(256, f.getUInt32("gpt2.feed_forward_length"));
            assertEquals(4, f.getUInt32("gpt2.attention.head_count"));
            assertEquals(1e-5f, f.getFloat32("gpt2.attention.layer_norm_epsilon"));
            assertEquals(vocab.sha256(), f.getString("memdec.tokenizer_sha256"));
            assertEquals(vocab, BpeVocabulary.readFrom(f));
            assertEquals(TINY, Gpt2Config.fromGguf(f));

            List<GgufTensorInfo> tensors = f.tensors();
            assertEquals(5 + 12 * 2, tensors.size());
            for (Gpt2Tensors.Spec spec : Gpt2Tensors.of(TINY)) {
                GgufTensorInfo t = f.tensor(spec.name()).orElseThrow();
                assertArrayEquals(spec.ne(), t.ne(), spec.name());
                assertEquals(GgmlType.F32, t.type(), spec.name());
                assertArrayEquals(weights.load(spec.name(), spec.elementCount()), f.readFloats(t), spec.name());
            }
            assertArrayEquals(f.readFloats(f.tensor("token_embd.weight").orElseThrow()),
                    f.readFloats(f.tensor("output.weight").orElseThrow()));
        }
    }

    @Test
    void quantizedFileKeepsNormsBiasesAndPositionsInF32() throws Exception {
        Path out = dir.resolve("tiny-q8.gguf");
        Gpt2GgufExporter.write(TINY, new RandomGpt2Weights(TINY, 5), Gpt2Tokenizer.vocabulary(), GgmlType.Q8_0,
                Map.of(), out);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(7, f.getUInt32("general.file_type"));
            assertEquals(2, f.getUInt32("general.quantization_version"));
            assertTrue(f.getString("general.name").contains("gpt2"));
            for (GgufTensorInfo t : f.tensors()) {
                boolean matrix = t.ne().length == 2 && !t.name().equals("position_embd.weight");
                assertEquals(matrix ? GgmlType.Q8_0 : GgmlType.F32, t.type(), t.name());
            }
        }
    }

    @Test
    void rejectsIncompatibleInputsBeforeWriting() {
        Path out = dir.resolve("bad.gguf");
        Gpt2Config smallVocab = Gpt2Config.of(1, 64, 4, 8, 1000);
        IllegalArgumentException vocab = assertThrows(IllegalArgumentException.class, () -> Gpt2GgufExporter.write(
                smallVocab, new RandomGpt2Weights(smallVocab, 1), Gpt2Tokenizer.vocabulary(), GgmlType.F32, Map.of(), out));
        assertTrue(vocab.getMessage().contains("50257 tokens"), vocab.getMessage());
        Gpt2Config odd = Gpt2Config.of(1, 48, 4, 8, Gpt2Tokenizer.VOCAB_SIZE);
        IllegalArgumentException block = assertThrows(IllegalArgumentException.class, () -> Gpt2GgufExporter.write(
                odd, new RandomGpt2Weights(odd, 1), Gpt2Tokenizer.vocabulary(), GgmlType.Q4_0, Map.of(), out));
        assertTrue(block.getMessage().contains("block size 32"), block.getMessage());
        IllegalArgumentException key = assertThrows(IllegalArgumentException.class, () -> Gpt2GgufExporter.write(
                TINY, new RandomGpt2Weights(TINY, 1), Gpt2Tokenizer.vocabulary(), GgmlType.F32,
                Map.of("gpt2.block_count", "9"), out));
        assertTrue(key.getMessage().contains("gpt2.block_count"), key.getMessage());
        assertFalse(Files.exists(out));
    }
}

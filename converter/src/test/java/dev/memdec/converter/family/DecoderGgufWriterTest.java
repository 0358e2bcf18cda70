package dev.memdec.converter.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.family.gemma3.Gemma3Family;
import dev.memdec.converter.family.phi3.Phi3Family;
import dev.memdec.converter.family.qwen3.Qwen3Family;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.tokenizer.BpeTrainer;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DecoderGgufWriterTest {

    static final BpeVocabulary VOCAB = BpeTrainer.train(List.of("the cat sat on the mat; the dog sat on the log"), 270);

    @TempDir
    Path dir;

    static Stream<DecoderFamily> families() {
        return DecoderFamilies.all().stream();
    }

    static RopeDecoderConfig tiny(DecoderFamily family) {
        if (family == Gemma3Family.INSTANCE) {
            return RopeDecoderConfig.of(Gemma3Family.MIN_LAYERS, 32, 4, 2, 48, VOCAB.size(), 64).withTiedOutput(true).withSlidingWindow(16);
        }
        return RopeDecoderConfig.of(2, 32, 4, 2, 48, VOCAB.size(), 64);
    }

    @ParameterizedTest
    @MethodSource("families")
    void writesExactlyTheFamilysTensorsAndKeys(DecoderFamily family) throws Exception {
        RopeDecoderConfig c = tiny(family);
        Path out = dir.resolve(family.architecture() + ".gguf");
        RandomDecoderWeights weights = new RandomDecoderWeights(family.tensors(c), 3);
        DecoderGgufWriter.write(family, c, VOCAB, weights, GgmlType.F32, Map.of(), out);
        String a = family.architecture();
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(a, f.architecture());
            assertEquals(32, f.getUInt32(a + ".embedding_length"));
            assertEquals(c.layers(), f.getUInt32(a + ".block_count"));
            assertEquals(4, f.getUInt32(a + ".attention.head_count"));
            assertEquals(2, f.getUInt32(a + ".attention.head_count_kv"));
            assertEquals(8, f.getUInt32(a + ".rope.dimension_count"));
            assertEquals(48, f.getUInt32(a + ".feed_forward_length"));
            assertEquals(VOCAB.sha256(), f.getString("memdec.tokenizer_sha256"));
            assertEquals(VOCAB, BpeVocabulary.readFrom(f));
            List<TensorSpec> expected = family.tensors(c);
            assertEquals(expected.size(), f.tensors().size());
            for (TensorSpec spec : expected) {
                GgufTensorInfo t = f.tensor(spec.name()).orElseThrow(() -> new AssertionError(a + " lacks " + spec.name()));
                assertArrayEquals(spec.ne(), t.ne(), spec.name());
            }
            float[] q = f.readFloats(f.tensor("blk.0.ffn_norm.weight").orElseThrow());
            assertEquals(1.0, q[0], 0.3, "norm gains start near 1");
        }
    }

    @Test
    void familiesDifferWhereLlamaCppSaysTheyDo() {
        RopeDecoderConfig c = RopeDecoderConfig.of(1, 32, 4, 2, 48, 300, 64);
        List<String> qwen3 = names(Qwen3Family.INSTANCE.tensors(c));
        assertTrue(qwen3.contains("blk.0.attn_q_norm.weight") && qwen3.contains("blk.0.attn_k_norm.weight"));
        assertFalse(qwen3.contains("blk.0.attn_q.bias"));
        assertTrue(names(DecoderFamilies.byName("qwen2").orElseThrow().tensors(c)).contains("blk.0.attn_q.bias"));
        List<TensorSpec> gemma = Gemma3Family.INSTANCE.tensors(c.withTiedOutput(true).withSlidingWindow(8));
        assertTrue(names(gemma).containsAll(List.of("blk.0.post_attention_norm.weight", "blk.0.post_ffw_norm.weight")));
        assertFalse(names(gemma).contains("output.weight"));
        List<TensorSpec> phi = Phi3Family.INSTANCE.tensors(c);
        TensorSpec qkv = phi.stream().filter(t -> t.name().equals("blk.0.attn_qkv.weight")).findFirst().orElseThrow();
        assertArrayEquals(new long[] {32, 32 + 2 * 16}, qkv.ne());
        TensorSpec up = phi.stream().filter(t -> t.name().equals("blk.0.ffn_up.weight")).findFirst().orElseThrow();
        assertArrayEquals(new long[] {32, 96}, up.ne());
        assertFalse(names(phi).contains("blk.0.ffn_gate.weight"));
    }

    @Test
    void shapesThatDoNotFitAreRefusedByField() {
        assertMessage("heads 3 does not divide embd 32", () -> RopeDecoderConfig.of(1, 32, 3, 3, 48, 300, 64));
        assertMessage("kv_heads 3 does not divide heads 4", () -> RopeDecoderConfig.of(1, 32, 4, 3, 48, 300, 64));
        assertMessage("head_dim 5 is odd", () -> RopeDecoderConfig.of(1, 20, 4, 4, 48, 300, 64));
        RopeDecoderConfig wideHeads = new RopeDecoderConfig(1, 32, 4, 4, 16, 48, 300, 64, 1e-6f, 1e4f, false, 0);
        assertMessage("head_dim: phi3", () -> Phi3Family.INSTANCE.check(wideHeads));
        assertMessage("head_dim: qwen2", () -> DecoderFamilies.byName("qwen2").orElseThrow().check(wideHeads));
        Qwen3Family.INSTANCE.check(wideHeads); // qwen3 takes a free head_dim (key_length)
        assertMessage("sliding_window: gemma3", () -> Gemma3Family.INSTANCE.check(RopeDecoderConfig.of(6, 32, 4, 4, 48, 300, 64)));
        assertMessage("layers: gemma3 needs at least 6", () -> Gemma3Family.INSTANCE.check(
                RopeDecoderConfig.of(5, 32, 4, 4, 48, 300, 64).withSlidingWindow(8)));
    }

    @Test
    void aTokenizerOfAnotherSizeWritesNothing() {
        RopeDecoderConfig c = RopeDecoderConfig.of(1, 32, 4, 4, 48, VOCAB.size() + 1, 64);
        Path out = dir.resolve("x.gguf");
        assertMessage("vocab: the tokenizer has", () -> DecoderGgufWriter.write(Qwen3Family.INSTANCE, c, VOCAB,
                new RandomDecoderWeights(Qwen3Family.INSTANCE.tensors(c), 1), GgmlType.F32, Map.of(), out));
        assertFalse(Files.exists(out));
    }

    private static List<String> names(List<TensorSpec> specs) {
        return specs.stream().map(TensorSpec::name).toList();
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(expected), x.getMessage());
    }
}

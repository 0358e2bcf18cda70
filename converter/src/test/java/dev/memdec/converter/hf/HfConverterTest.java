package dev.memdec.converter.hf;

import dev.memdec.converter.family.TensorTypePolicy;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.safetensors.SafetensorsDtype;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HfConverterTest {

    private static final int[] PROMPT = {5, 270, 17, 256, 99, 3, 261, 42, 128, 7};

    @TempDir
    Path dir;

    private Path checkpoint(SyntheticHfCheckpoint c) throws IOException {
        Path ckpt = dir.resolve("ckpt-" + c.architecture() + "-" + c.dtype() + "-" + c.shards());
        c.writeTo(ckpt);
        return ckpt;
    }

    private static float maxAbsDiff(float[][] a, float[][] b) {
        float max = 0;
        for (int t = 0; t < a.length; t++) {
            for (int i = 0; i < a[t].length; i++) {
                max = Math.max(max, Math.abs(a[t][i] - b[t][i]));
            }
        }
        return max;
    }

    @ParameterizedTest
    @EnumSource(value = HfArchitecture.class, names = {"QWEN2", "LLAMA"})
    void ropeDecoderF32ConversionIsExactAndReproducesHfLogits(HfArchitecture arch) throws IOException {
        SyntheticHfCheckpoint c = SyntheticHfCheckpoint.tiny(arch);
        Path ckpt = checkpoint(c);
        Path out = dir.resolve(arch + ".gguf");
        HfConverter.Result r = HfConverter.convert(ckpt, out, GgmlType.F32);

        Map<String, float[]> hf = HfCheckpoints.hfTensors(ckpt);
        int expectedTensors = arch == HfArchitecture.QWEN2 ? 12 * c.layers() + 2 : 9 * c.layers() + 3;
        assertEquals(expectedTensors, r.tensorCount());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(arch.ggufArchitecture(), f.architecture());
            assertEquals(expectedTensors, f.tensors().size());
            assertEquals(arch == HfArchitecture.LLAMA, f.tensor("output.weight").isPresent(), "output.weight only when untied");
            for (GgufTensorInfo t : f.tensors()) {
                String hfName = hf.keySet().stream().filter(n -> HfCheckpoints.ggufNameOf(n).equals(t.name())).findFirst().orElseThrow();
                assertEquals(GgmlType.F32, t.type(), t.name());
                assertEquals(hf.get(hfName).length, t.elementCount(), t.name());
            }
            assertArrayEquals(new long[] {c.embd(), c.vocabSize()}, f.tensor("token_embd.weight").orElseThrow().ne());
            assertArrayEquals(new long[] {c.embd(), (long) c.kvHeads() * c.headDim()}, f.tensor("blk.1.attn_k.weight").orElseThrow().ne());
            assertArrayEquals(new long[] {c.ff(), c.embd()}, f.tensor("blk.0.ffn_down.weight").orElseThrow().ne());
            String a = arch.ggufArchitecture();
            assertEquals(c.kvHeads(), f.getUInt32(a + ".attention.head_count_kv"));
            assertEquals(c.headDim(), f.getUInt32(a + ".rope.dimension_count"));
            assertEquals(RopeDecoderReference.shapeOf(c).ropeTheta(), f.getFloat32(a + ".rope.freq_base"));
            assertEquals(RopeDecoderReference.shapeOf(c).rmsEps(), f.getFloat32(a + ".attention.layer_norm_rms_epsilon"));

            boolean llama = arch == HfArchitecture.LLAMA;
            Map<String, float[]> restored = HfCheckpoints.ggufAsHf(f, hf.keySet(), c.heads(), c.kvHeads(), c.headDim(), llama);
            assertEquals(hf.keySet(), restored.keySet());
            for (String name : hf.keySet()) {
                assertArrayEquals(hf.get(name), restored.get(name), name);
            }
            if (llama) {
                // the permutation really moved rows (otherwise the test above would pass trivially)
                float[] stored = f.readFloats(f.tensor("blk.0.attn_q.weight").orElseThrow());
                assertFalse(Arrays.equals(stored, hf.get("model.layers.0.self_attn.q_proj.weight")));
            }
            RopeDecoderReference.Shape shape = RopeDecoderReference.shapeOf(c);
            float[][] reference = new RopeDecoderReference(shape, n -> Optional.ofNullable(hf.get(n)),
                    RopeDecoderReference.RopePairing.HALF_SPLIT).logits(PROMPT);
            float[][] fromGguf = new RopeDecoderReference(shape, n -> Optional.ofNullable(restored.get(n)),
                    RopeDecoderReference.RopePairing.HALF_SPLIT).logits(PROMPT);
            assertEquals(0f, maxAbsDiff(reference, fromGguf));

            // what llama.cpp computes: the stored (permuted for llama) weights with ggml's rope pairing
            Map<String, float[]> asStored = HfCheckpoints.ggufAsHf(f, hf.keySet(), c.heads(), c.kvHeads(), c.headDim(), false);
            float[][] ggmlSemantics = new RopeDecoderReference(shape, n -> Optional.ofNullable(asStored.get(n)),
                    llama ? RopeDecoderReference.RopePairing.ADJACENT : RopeDecoderReference.RopePairing.HALF_SPLIT).logits(PROMPT);
            assertTrue(maxAbsDiff(reference, ggmlSemantics) < 1e-4, "max diff " + maxAbsDiff(reference, ggmlSemantics));
            float[][] wrongPairing = new RopeDecoderReference(shape, n -> Optional.ofNullable(asStored.get(n)),
                    llama ? RopeDecoderReference.RopePairing.HALF_SPLIT : RopeDecoderReference.RopePairing.ADJACENT).logits(PROMPT);
            assertTrue(maxAbsDiff(reference, wrongPairing) > 1e-2, "the rope layout must matter for this test to mean anything");
        }
    }

    @ParameterizedTest
    @EnumSource(HfArchitecture.class)
    void vocabularyIsPaddedToEmbeddingRowsWithFamilyPreTokenizer(HfArchitecture arch) throws IOException {
        SyntheticHfCheckpoint c = SyntheticHfCheckpoint.tiny(arch);
        Path out = dir.resolve("v.gguf");
        HfConverter.convert(checkpoint(c), out, GgmlType.F16);
        try (GgufFile f = GgufFile.open(out)) {
            BpeVocabulary v = BpeVocabulary.readFrom(f);
            assertEquals(c.vocabSize(), v.tokens().size());
            assertEquals("gpt2", v.model());
            assertEquals(arch.preTokenizer(), v.pre());
            assertEquals(12, v.merges().size());
            assertEquals("Ġt he", v.merges().get(5));
            assertEquals("Ġ", v.tokens().get(' '));
            assertEquals(1, v.tokenTypes()[' ']);
            assertEquals("[PAD299]", v.tokens().get(299));
            assertEquals(5, v.tokenTypes()[299]);
            int firstSpecial = 256 + 12;
            assertEquals(3, v.tokenTypes()[firstSpecial]);
            switch (arch) {
                case GPT2 -> {
                    assertEquals("<|endoftext|>", v.tokens().get(v.bos()));
                    assertEquals(v.bos(), v.eos());
                    assertFalse(v.addBos());
                }
                case QWEN2 -> {
                    assertEquals("<|endoftext|>", v.tokens().get(v.eos()));
                    assertEquals(firstSpecial, v.pad().orElseThrow());
                    assertFalse(v.addBos());
                }
                case LLAMA -> {
                    assertEquals("<|begin_of_text|>", v.tokens().get(v.bos()));
                    assertEquals("<|eot_id|>", v.tokens().get(v.eos()));
                    assertTrue(v.addBos());
                }
            }
        }
    }

    @Test
    void gpt2ConvertsConv1DTransposedSkipsMaskBuffersAndDuplicatesOutput() throws IOException {
        SyntheticHfCheckpoint c = SyntheticHfCheckpoint.tiny(HfArchitecture.GPT2);
        Path ckpt = checkpoint(c);
        Path out = dir.resolve("gpt2.gguf");
        HfConverter.Result r = HfConverter.convert(ckpt, out, GgmlType.F32);
        assertEquals(5 + 12 * c.layers(), r.tensorCount());
        Map<String, float[]> hf = HfCheckpoints.hfTensors(ckpt);
        int e = c.embd();
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals("gpt2", f.architecture());
            assertEquals(c.context(), f.getUInt32("gpt2.context_length"));
            assertEquals(c.ff(), f.getUInt32("gpt2.feed_forward_length"));
            assertTrue(f.tensors().stream().noneMatch(t -> t.name().contains("attn.bias") || t.name().contains("mask")));
            assertArrayEquals(new long[] {e, 3L * e}, f.tensor("blk.0.attn_qkv.weight").orElseThrow().ne());
            assertArrayEquals(new long[] {c.ff(), e}, f.tensor("blk.1.ffn_down.weight").orElseThrow().ne());
            String[][] conv = {{"attn_qkv", "attn.c_attn", "" + e, "" + 3 * e}, {"attn_output", "attn.c_proj", "" + e, "" + e},
                    {"ffn_up", "mlp.c_fc", "" + e, "" + c.ff()}, {"ffn_down", "mlp.c_proj", "" + c.ff(), "" + e}};
            for (int l = 0; l < c.layers(); l++) {
                for (String[] m : conv) {
                    float[] stored = f.readFloats(f.tensor("blk." + l + "." + m[0] + ".weight").orElseThrow());
                    float[] back = HfCheckpoints.transpose(stored, Integer.parseInt(m[3]), Integer.parseInt(m[2]));
                    assertArrayEquals(hf.get("transformer.h." + l + "." + m[1] + ".weight"), back, m[0]);
                    assertArrayEquals(hf.get("transformer.h." + l + "." + m[1] + ".bias"),
                            f.readFloats(f.tensor("blk." + l + "." + m[0] + ".bias").orElseThrow()), m[0] + " bias");
                }
            }
            float[] wte = hf.get("transformer.wte.weight");
            assertArrayEquals(wte, f.readFloats(f.tensor("token_embd.weight").orElseThrow()));
            assertArrayEquals(wte, f.readFloats(f.tensor("output.weight").orElseThrow()));
            assertArrayEquals(hf.get("transformer.wpe.weight"), f.readFloats(f.tensor("position_embd.weight").orElseThrow()));
        }
    }

    @Test
    void readsShardedHalfAndBf16Checkpoints() throws IOException {
        for (SafetensorsDtype dtype : new SafetensorsDtype[] {SafetensorsDtype.F16, SafetensorsDtype.BF16}) {
            SyntheticHfCheckpoint c = SyntheticHfCheckpoint.tiny(HfArchitecture.LLAMA).withDtype(dtype).withShards(3);
            Path ckpt = checkpoint(c);
            Path out = dir.resolve("sharded-" + dtype + ".gguf");
            HfConverter.convert(ckpt, out, GgmlType.F32);
            Map<String, float[]> hf = HfCheckpoints.hfTensors(ckpt);
            try (GgufFile f = GgufFile.open(out)) {
                Map<String, float[]> restored = HfCheckpoints.ggufAsHf(f, hf.keySet(), c.heads(), c.kvHeads(), c.headDim(), true);
                for (String name : hf.keySet()) {
                    assertArrayEquals(hf.get(name), restored.get(name), dtype + " " + name);
                }
                float sample = hf.get("model.layers.1.mlp.up_proj.weight")[17];
                float exact = c.value("model.layers.1.mlp.up_proj.weight", new long[] {c.ff(), c.embd()}, 17);
                assertEquals(exact, sample, Math.abs(exact) / (dtype == SafetensorsDtype.F16 ? 1000 : 100));
            }
        }
    }

    @Test
    void quantizedTypesFollowThePolicyAndStayCloseToTheReference() throws IOException {
        SyntheticHfCheckpoint c = SyntheticHfCheckpoint.tiny(HfArchitecture.QWEN2);
        Path ckpt = checkpoint(c);
        Map<String, float[]> hf = HfCheckpoints.hfTensors(ckpt);
        RopeDecoderReference.Shape shape = RopeDecoderReference.shapeOf(c);
        float[][] reference = new RopeDecoderReference(shape, n -> Optional.ofNullable(hf.get(n)),
                RopeDecoderReference.RopePairing.HALF_SPLIT).logits(PROMPT);
        float scale = 0;
        for (float[] row : reference) {
            for (float v : row) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        double previous = 0;
        for (GgmlType type : new GgmlType[] {GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0}) {
            Path out = dir.resolve(type + ".gguf");
            HfConverter.convert(ckpt, out, type);
            try (GgufFile f = GgufFile.open(out)) {
                assertEquals(type.fileType(), f.getUInt32("general.file_type"));
                assertEquals(GgmlType.F32, f.tensor("blk.0.attn_norm.weight").orElseThrow().type());
                assertEquals(GgmlType.F32, f.tensor("blk.0.attn_q.bias").orElseThrow().type());
                assertEquals(type, f.tensor("blk.0.attn_q.weight").orElseThrow().type());
                // ffn_down rows are 96 long: a multiple of 32, so it is quantized too
                assertEquals(type, f.tensor("blk.0.ffn_down.weight").orElseThrow().type());
                assertEquals(type == GgmlType.Q4_0 ? GgmlType.Q8_0 : type, f.tensor("token_embd.weight").orElseThrow().type());
                Map<String, float[]> restored = HfCheckpoints.ggufAsHf(f, hf.keySet(), c.heads(), c.kvHeads(), c.headDim(), false);
                float[][] logits = new RopeDecoderReference(shape, n -> Optional.ofNullable(restored.get(n)),
                        RopeDecoderReference.RopePairing.HALF_SPLIT).logits(PROMPT);
                double diff = maxAbsDiff(reference, logits) / scale;
                double tolerance = switch (type) {
                    case F16 -> 2e-3;
                    case BF16, Q8_0 -> 2e-2;
                    default -> 0.15;
                };
                assertTrue(diff < tolerance, type + " max logit diff " + diff + " of the logit range " + scale);
                assertTrue(diff > 0, type + " must actually round");
                if (type == GgmlType.Q4_0) {
                    assertTrue(diff > previous, "Q4_0 should be coarser than Q8_0");
                }
                previous = diff;
            }
        }
    }

    @Test
    void llama3RopeScalingBecomesRopeFreqs() throws IOException {
        SyntheticHfCheckpoint c = SyntheticHfCheckpoint.tiny(HfArchitecture.LLAMA);
        Path ckpt = checkpoint(c);
        HfCheckpoints.addLlama3RopeScaling(ckpt);
        Path out = dir.resolve("llama3.gguf");
        HfConverter.Result r = HfConverter.convert(ckpt, out, GgmlType.Q8_0);
        assertEquals(9 * c.layers() + 4, r.tensorCount());
        double[] inv = new RopeDecoderReference(RopeDecoderReference.shapeOf(c).withLlama3Scaling(HfCheckpoints.LLAMA3_SCALING),
                n -> Optional.empty(), RopeDecoderReference.RopePairing.HALF_SPLIT).inverseFrequencies();
        try (GgufFile f = GgufFile.open(out)) {
            GgufTensorInfo info = f.tensor("rope_freqs.weight").orElseThrow();
            assertEquals(GgmlType.F32, info.type());
            float[] divisors = f.readFloats(info);
            assertEquals(c.headDim() / 2, divisors.length);
            for (int i = 0; i < divisors.length; i++) {
                double base = Math.pow(RopeDecoderReference.shapeOf(c).ropeTheta(), -2.0 * i / c.headDim());
                assertEquals(base / inv[i], divisors[i], 1e-5 * divisors[i], "pair " + i);
            }
            assertEquals(1f, divisors[0]);
            assertEquals(8f, divisors[divisors.length - 1]);
            assertTrue(divisors[1] > 1f && divisors[1] < 8f, "pair 1 lies in the interpolated band: " + divisors[1]);
        }
    }

    @Test
    void gpt2HalfWidthRowsFallBackToF16WhenBlocksDoNotDivide() {
        assertEquals(GgmlType.F16, TensorTypePolicy.storeAs("blk.0.ffn_up.weight", new long[] {48, 64}, GgmlType.Q8_0));
        assertEquals(GgmlType.Q8_0, TensorTypePolicy.storeAs("blk.0.ffn_up.weight", new long[] {64, 48}, GgmlType.Q8_0));
        assertEquals(GgmlType.F32, TensorTypePolicy.storeAs("position_embd.weight", new long[] {64, 48}, GgmlType.Q8_0));
        assertEquals(GgmlType.F32, TensorTypePolicy.storeAs("blk.0.attn_qkv.bias", new long[] {192}, GgmlType.F16));
        assertEquals(GgmlType.Q8_0, TensorTypePolicy.storeAs("output.weight", new long[] {64, 300}, GgmlType.Q4_0));
    }
}

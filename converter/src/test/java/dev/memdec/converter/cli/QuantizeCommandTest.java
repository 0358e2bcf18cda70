package dev.memdec.converter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.gguf.GgufTensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuantizeCommandTest {

    @TempDir
    Path dir;
    Path f32;

    @BeforeEach
    void writeModel() throws IOException {
        f32 = dir.resolve("tiny-f32.gguf");
        CliRunner.writeGpt2Like(f32, GgmlType.F32);
    }

    private Path quantize(Path in, String type) {
        Path out = dir.resolve("out-" + type + "-" + in.getFileName());
        CliRunner.Result r = CliRunner.run(new QuantizeCommand(), "--in", in.toString(), "--out", out.toString(), "--type", type);
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("wrote "), r.out());
        return out;
    }

    private static Map<String, GgmlType> types(GgufFile f) {
        return f.tensors().stream().collect(Collectors.toMap(GgufTensorInfo::name, GgufTensorInfo::type));
    }

    @Test
    void q8_0KeepsSmallTensorsF32AndCopiesMetadata() throws IOException {
        Path q8 = quantize(f32, "q8_0");
        try (GgufFile in = GgufFile.open(f32); GgufFile out = GgufFile.open(q8)) {
            Map<String, GgmlType> types = types(out);
            assertEquals(GgmlType.Q8_0, types.get("token_embd.weight"));
            assertEquals(GgmlType.Q8_0, types.get("blk.0.attn_qkv.weight"));
            assertEquals(GgmlType.Q8_0, types.get("output.weight"));
            assertEquals(GgmlType.F16, types.get("blk.0.ffn_down.weight")); // rows of 48: not a multiple of 32
            for (String small : List.of("position_embd.weight", "blk.0.attn_norm.weight", "blk.0.attn_norm.bias",
                    "blk.0.attn_qkv.bias", "output_norm.weight")) {
                assertEquals(GgmlType.F32, types.get(small), small);
            }
            assertEquals(7, out.getUInt32(GgufKeys.FILE_TYPE));
            assertEquals(2, out.getUInt32(GgufKeys.QUANTIZATION_VERSION));
            assertEquals(List.copyOf(in.metadata().keySet()), List.copyOf(out.metadata().keySet()).subList(0, in.metadata().size()));
            for (String key : in.metadata().keySet()) {
                if (!key.equals(GgufKeys.FILE_TYPE) && !key.equals(GgufKeys.TENSOR_DATA_SHA256)) {
                    assertEquals(in.metadata().get(key), out.metadata().get(key), key);
                }
            }
            assertEquals(out.computeTensorDataSha256(), out.getString(GgufKeys.TENSOR_DATA_SHA256));
            for (GgufTensorInfo t : in.tensors()) {
                float[] a = in.readFloats(t);
                float[] b = out.readFloats(out.tensor(t.name()).orElseThrow());
                for (int i = 0; i < a.length; i++) {
                    assertEquals(a[i], b[i], 0.5f / 127 * 1.2f, t.name() + "[" + i + "]");
                }
            }
            assertTrue(Files.size(q8) < Files.size(f32));
        }
        assertEquals(0, CliRunner.run(new InspectCommand(), q8.toString(), "--verify").exitCode());
    }

    @Test
    void q4_0GivesTheOutputProjectionQ8_0() throws IOException {
        try (GgufFile out = GgufFile.open(quantize(f32, "q4_0"))) {
            Map<String, GgmlType> types = types(out);
            assertEquals(GgmlType.Q4_0, types.get("blk.0.attn_qkv.weight"));
            assertEquals(GgmlType.Q4_0, types.get("token_embd.weight"));
            assertEquals(GgmlType.Q8_0, types.get("output.weight"));
            assertEquals(2, out.getUInt32(GgufKeys.FILE_TYPE));
        }
    }

    @Test
    void requantizesQuantizedInputsAndKeepsUnchangedBytes() throws IOException {
        Path q8 = quantize(f32, "q8_0");
        Path back = quantize(q8, "f32");
        Path bf16 = quantize(q8, "bf16");
        try (GgufFile a = GgufFile.open(q8); GgufFile b = GgufFile.open(back); GgufFile c = GgufFile.open(bf16)) {
            assertTrue(b.tensors().stream().allMatch(t -> t.type() == GgmlType.F32));
            assertEquals(0, b.getUInt32(GgufKeys.FILE_TYPE));
            assertEquals(GgmlType.BF16, types(c).get("blk.0.attn_qkv.weight"));
            assertEquals(GgmlType.BF16, types(c).get("blk.0.ffn_down.weight"));
            GgufTensorInfo qkv = a.tensor("blk.0.attn_qkv.weight").orElseThrow();
            // Q8_0 -> F32 is exact dequantization
            assertEquals(java.util.Arrays.toString(a.readFloats(qkv)),
                    java.util.Arrays.toString(b.readFloats(b.tensor(qkv.name()).orElseThrow())));
            GgufTensorInfo norm = a.tensor("output_norm.weight").orElseThrow();
            assertEquals(a.data(norm).mismatch(c.data(c.tensor(norm.name()).orElseThrow())), -1);
        }
    }

    @Test
    void rejectsBadFlags() throws IOException {
        Path out = dir.resolve("x.gguf");
        CliRunner.Result badType = CliRunner.run(new QuantizeCommand(), "--in", f32.toString(), "--out", out.toString(), "--type", "q4_k");
        assertEquals(1, badType.exitCode());
        assertTrue(badType.err().contains("--type 'q4_k' is not one of"), badType.err());
        CliRunner.Result same = CliRunner.run(new QuantizeCommand(), "--in", f32.toString(), "--out", f32.toString(), "--type", "f16");
        assertEquals(1, same.exitCode());
        assertTrue(same.err().contains("is the input file"), same.err());
        CliRunner.Result missing = CliRunner.run(new QuantizeCommand(), "--in", dir.resolve("none.gguf").toString(),
                "--out", out.toString(), "--type", "f16");
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("--in " + dir.resolve("none.gguf") + ": no such file"), missing.err());
        assertEquals(2, CliRunner.run(new QuantizeCommand(), "--in", f32.toString()).exitCode());
        assertFalse(Files.exists(out));
    }
}

package dev.memdec.converter.cli;

import dev.memdec.converter.gguf.FloatSource;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;

/** Runs a command the way {@code dev.memdec.plugin.cli.Main} does: one "memdec CMD: message" line and exit 1 on failure. */
final class CliRunner {

    record Result(int exitCode, String out, String err) {
    }

    private CliRunner() {
    }

    static Result run(MemdecCommand command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            c.getErr().println("memdec " + c.getCommandName() + ": " + ex.getMessage());
            c.getErr().flush();
            return 1;
        });
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    /** A tiny GPT-2-shaped model (1 layer, 64 embd, 10 tokens) with one tensor whose rows are 48 long. */
    static void writeGpt2Like(Path out, GgmlType big) throws IOException {
        int embd = 64;
        int vocab = 10;
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "gpt2")
                .putString("general.name", "tiny")
                .putUInt32("general.file_type", big.fileType())
                .putUInt32("gpt2.context_length", 16)
                .putUInt32("gpt2.embedding_length", embd)
                .putUInt32("gpt2.block_count", 1)
                .putUInt32("gpt2.feed_forward_length", 48)
                .putUInt32("gpt2.attention.head_count", 4)
                .putFloat32("gpt2.attention.layer_norm_epsilon", 1e-5f)
                .putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", "gpt-2")
                .putStringArray("tokenizer.ggml.tokens", List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "<|endoftext|>"))
                .putInt32Array("tokenizer.ggml.token_type", new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 3})
                .putStringArray("tokenizer.ggml.merges", List.of("a b", "c d"))
                .putUInt32("tokenizer.ggml.bos_token_id", 9)
                .putUInt32("tokenizer.ggml.eos_token_id", 9)
                .putString("memdec.tokenizer_sha256", "ab".repeat(32))
                .putFloat32("memdec.lambda_default", 0.25f)
                .withTensorDataSha256();
        tensor(w, "token_embd.weight", big, embd, vocab);
        tensor(w, "position_embd.weight", GgmlType.F32, embd, 16);
        tensor(w, "blk.0.attn_norm.weight", GgmlType.F32, embd);
        tensor(w, "blk.0.attn_norm.bias", GgmlType.F32, embd);
        tensor(w, "blk.0.attn_qkv.weight", big, embd, 3 * embd);
        tensor(w, "blk.0.attn_qkv.bias", GgmlType.F32, 3 * embd);
        tensor(w, "blk.0.ffn_down.weight", big.isBlockQuantized() ? GgmlType.F16 : big, 48, embd);
        tensor(w, "output_norm.weight", GgmlType.F32, embd);
        tensor(w, "output.weight", big, embd, vocab);
        w.write(out);
    }

    /** Deterministic values that differ per tensor and element. */
    static float value(String tensor, long i) {
        return (float) Math.sin(i * 0.37 + tensor.hashCode() % 100) * 0.5f;
    }

    private static void tensor(GgufWriter w, String name, GgmlType type, long... ne) {
        w.addTensor(name, type, ne, (FloatSource) (first, dst, count) -> {
            for (int i = 0; i < count; i++) {
                dst[i] = value(name, first + i);
            }
        });
    }
}

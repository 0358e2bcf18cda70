package dev.memdec.converter.gpt2;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.gguf.GgufWriter;
import dev.memdec.converter.tokenizer.GgufTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a complete gpt2 GGUF that llama.cpp b4916 loads (gguf-spec §2): every required {@code gpt2.*} key,
 * the tokenizer, {@code memdec.tokenizer_sha256} (when the tokenizer has a canonical hash), and all 5 + 12·layers tensors including
 * {@code output.weight} as a copy of the token embedding.
 *
 * <p>Storage types follow convert_hf_to_gguf.py: 1-D tensors, norms, biases and {@code position_embd} are
 * F32; the embedding, output and block matrices take the requested type.
 */
public final class Gpt2GgufExporter {

    public static final String ARCH = "gpt2";

    private Gpt2GgufExporter() {
    }

    /**
     * Writes the model atomically to {@code out}.
     *
     * @param extraStringMeta additional string keys (e.g. {@code general.name}, {@code memdec.*}); they may not
     *                        redefine an architecture, tokenizer or file-type key
     * @throws IllegalArgumentException if the vocabulary does not fit the config, the type cannot be written,
     *                                  or a quantized type's block size does not divide a row length
     */
    public static void write(Gpt2Config c, Gpt2Weights w, GgufTokenizer v, GgmlType type,
                             Map<String, String> extraStringMeta, Path out) throws IOException {
        checkCompatible(c, v, type);
        GgufWriter writer = new GgufWriter();
        writer.putString(GgufKeys.ARCHITECTURE, ARCH);
        if (!extraStringMeta.containsKey(GgufKeys.NAME)) {
            writer.putString(GgufKeys.NAME, "memdec gpt2 " + c.layers() + "x" + c.embd());
        }
        writer.putUInt32(GgufKeys.FILE_TYPE, type.fileType());
        if (type.isBlockQuantized()) {
            writer.putUInt32(GgufKeys.QUANTIZATION_VERSION, GgufKeys.QUANTIZATION_VERSION_CURRENT);
        }
        writer.putUInt32(ARCH + ".context_length", c.ctx());
        writer.putUInt32(ARCH + ".embedding_length", c.embd());
        writer.putUInt32(ARCH + ".block_count", c.layers());
        writer.putUInt32(ARCH + ".feed_forward_length", c.ff());
        writer.putUInt32(ARCH + ".attention.head_count", c.heads());
        writer.putFloat32(ARCH + ".attention.layer_norm_epsilon", c.eps());
        v.writeTo(writer);
        v.canonicalSha256().ifPresent(sha -> writer.putString(GgufKeys.TOKENIZER_SHA256, sha));
        writer.putExtraStrings(ARCH, extraStringMeta);
        for (Gpt2Tensors.Spec spec : Gpt2Tensors.of(c)) {
            writer.addTensor(spec.name(), spec.isQuantizable() ? type : GgmlType.F32, spec.ne(), w.tensor(spec.name()));
        }
        writer.write(out);
    }

    /** Checks that {@code v} and {@code type} can be written for {@code c}; the message names what is wrong. */
    public static void checkCompatible(Gpt2Config c, GgufTokenizer v, GgmlType type) {
        if (v.size() != c.vocab()) {
            throw new IllegalArgumentException("vocabulary has " + v.size() + " tokens but the model's token_embd has "
                    + c.vocab() + " rows; llama.cpp requires them equal");
        }
        if (!type.canEncode()) {
            throw new IllegalArgumentException("cannot write tensors as " + type + " (supported: F32, F16, BF16, Q8_0, Q4_0)");
        }
        for (Gpt2Tensors.Spec spec : Gpt2Tensors.of(c)) {
            if (spec.isQuantizable() && spec.ne()[0] % type.blockSize() != 0) {
                throw new IllegalArgumentException("tensor '" + spec.name() + "' rows have " + spec.ne()[0]
                        + " elements, not a multiple of the " + type + " block size " + type.blockSize()
                        + " (embd must be a multiple of " + type.blockSize() + ")");
            }
        }
    }
}

package dev.memdec.converter.family;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.gguf.GgufWriter;
import dev.memdec.converter.tokenizer.GgufTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes a complete GGUF of one {@link DecoderFamily}: {@code general.*}, the family's hyper-parameter keys, the
 * tokenizer and {@code memdec.tokenizer_sha256} (when the tokenizer has a canonical hash), and exactly the family's
 * tensors, each stored per {@link TensorTypePolicy}. The file is written to a temporary name and renamed, then read
 * back by the validating {@link GgufFile} reader; a file that fails is deleted.
 */
public final class DecoderGgufWriter {

    /** llama.cpp's tensor of per-pair rope frequency divisors (Llama-3 rope scaling). */
    public static final String ROPE_FREQS = "rope_freqs.weight";

    private DecoderGgufWriter() {
    }

    /**
     * @param extraStringMeta more string keys ({@code general.name}, {@code memdec.*}); none may redefine an
     *                        architecture, tokenizer or file-type key
     * @throws IllegalArgumentException if the shape does not fit the family, the tokenizer's size is not
     *                                  {@code c.vocab()}, the type cannot be written, or a weight is missing
     */
    public static void write(DecoderFamily family, RopeDecoderConfig c, GgufTokenizer tokenizer, DecoderWeights weights,
                             GgmlType type, Map<String, String> extraStringMeta, Path out) throws IOException {
        write(family, c, null, tokenizer, weights, type, extraStringMeta, out);
    }

    /**
     * As above, with Llama-3 rope scaling as llama.cpp reads it: the F32 tensor {@code rope_freqs.weight} of
     * {@code headDim / 2} frequency divisors (null: none).
     */
    public static void write(DecoderFamily family, RopeDecoderConfig c, float[] ropeFreqs, GgufTokenizer tokenizer,
                             DecoderWeights weights, GgmlType type, Map<String, String> extraStringMeta, Path out)
            throws IOException {
        family.check(c);
        if (ropeFreqs != null && ropeFreqs.length != c.headDim() / 2) {
            throw new IllegalArgumentException(ROPE_FREQS + ": " + ropeFreqs.length + " divisors, expected head_dim / 2 = "
                    + c.headDim() / 2);
        }
        if (tokenizer.size() != c.vocab()) {
            throw new IllegalArgumentException("vocab: the tokenizer has " + tokenizer.size() + " tokens but the model's "
                    + "token_embd has " + c.vocab() + " rows; llama.cpp requires them equal");
        }
        if (!type.canEncode()) {
            throw new IllegalArgumentException("cannot write tensors as " + type + " (supported: F32, F16, BF16, Q8_0, Q4_0)");
        }
        String arch = family.architecture();
        GgufWriter w = new GgufWriter();
        w.putString(GgufKeys.ARCHITECTURE, arch);
        if (!extraStringMeta.containsKey(GgufKeys.NAME)) {
            // not the architecture's name: llama.cpp keys tokenizer hacks on general.name (b4916 looks up "</s>" in
            // any vocabulary of a model whose name contains "phi3" and fails to load one without it)
            w.putString(GgufKeys.NAME, "memdec decoder " + c.layers() + "x" + c.embd());
        }
        w.putUInt32(GgufKeys.FILE_TYPE, type.fileType());
        w.putUInt32(GgufKeys.QUANTIZATION_VERSION, GgufKeys.QUANTIZATION_VERSION_CURRENT);
        family.writeHyperParameters(c, w);
        tokenizer.writeTo(w);
        tokenizer.canonicalSha256().ifPresent(sha -> w.putString(GgufKeys.TOKENIZER_SHA256, sha));
        w.putExtraStrings(arch, extraStringMeta);
        List<TensorSpec> tensors = family.tensors(c);
        if (ropeFreqs != null) {
            float[] divisors = ropeFreqs.clone();
            w.addTensor(ROPE_FREQS, GgmlType.F32, new long[] {divisors.length},
                    (first, dst, count) -> System.arraycopy(divisors, (int) first, dst, 0, count));
        }
        int expected = tensors.size() + (ropeFreqs != null ? 1 : 0);
        for (TensorSpec t : tensors) {
            long[] ne = t.ne();
            w.addTensor(t.name(), TensorTypePolicy.storeAs(t.name(), ne, type), ne, weights.tensor(t.name()));
        }
        w.write(out);
        try (GgufFile f = GgufFile.open(out)) {
            if (!f.architecture().equals(arch) || f.tensors().size() != expected) {
                throw new IllegalStateException(out + ": written file reads back as " + f.architecture() + " with "
                        + f.tensors().size() + " tensors, expected " + arch + " with " + expected);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(out);
            throw e;
        }
    }
}

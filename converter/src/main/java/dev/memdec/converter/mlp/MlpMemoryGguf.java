package dev.memdec.converter.mlp;

import dev.memdec.converter.gguf.FloatSource;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.gguf.GgufValue;
import dev.memdec.converter.gguf.GgufValueType;
import dev.memdec.converter.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The GGUF layout of an MLP memory: architecture {@value #ARCH}, its shape under {@code memdec-mlp.*}, the host it
 * reads under {@code memdec.host.*}, the host's tokenizer hash, default λ and temperature, and the tensors of
 * {@link MlpMemoryTensors}. llama.cpp does not run this architecture: memdec's runtime does, after
 * {@link #read} has validated every key and tensor.
 */
public final class MlpMemoryGguf {

    public static final String ARCH = "memdec-mlp";
    static final String FLAVOUR = ARCH + ".flavour";
    static final String WIDTH = ARCH + ".embedding_length";
    static final String BLOCKS = ARCH + ".block_count";
    static final String FF = ARCH + ".feed_forward_length";
    static final String VOCAB = ARCH + ".vocab_size";
    static final String EPS = ARCH + ".layer_norm_epsilon";
    public static final String HOST_ARCH = "memdec.host.architecture";
    public static final String HOST_WIDTH = "memdec.host.embedding_length";
    public static final String HOST_KEY_TENSOR = "memdec.host.key_tensor";
    public static final String HOST_FILE_SHA256 = "memdec.host.file_sha256";
    public static final String DEFAULT_LAMBDA = "memdec.default_lambda";
    public static final String DEFAULT_TEMPERATURE = "memdec.default_temperature";

    private MlpMemoryGguf() {
    }

    /**
     * Writes the memory atomically to {@code out} (nothing is left behind on failure).
     *
     * @param weights each tensor's elements by GGUF name, in GGUF order
     * @param type    the matrices' type: F32, F16, BF16, Q8_0 or Q4_0 (1-D tensors stay F32)
     * @param extra   additional {@code general.*} / {@code memdec.*} string keys (provenance); they may not redefine
     *                a key this layout owns
     */
    public static void write(MlpMemoryConfig c, Function<String, FloatSource> weights, GgmlType type,
                             Map<String, String> extra, Path out) throws IOException {
        checkType(c, type);
        GgufWriter w = new GgufWriter();
        w.putString(GgufKeys.ARCHITECTURE, ARCH);
        if (!extra.containsKey(GgufKeys.NAME)) {
            w.putString(GgufKeys.NAME, "memdec mlp memory " + c.blocks() + "x" + c.width() + " for " + c.host().architecture());
        }
        w.putUInt32(GgufKeys.FILE_TYPE, type.fileType());
        if (type.isBlockQuantized()) {
            w.putUInt32(GgufKeys.QUANTIZATION_VERSION, GgufKeys.QUANTIZATION_VERSION_CURRENT);
        }
        w.putString(FLAVOUR, c.flavour().ggufName());
        w.putUInt32(WIDTH, c.width());
        w.putUInt32(BLOCKS, c.blocks());
        w.putUInt32(FF, c.ff());
        w.putUInt32(VOCAB, c.vocab());
        w.putFloat32(EPS, c.eps());
        w.putString(HOST_ARCH, c.host().architecture());
        w.putUInt32(HOST_WIDTH, c.host().width());
        w.putString(HOST_KEY_TENSOR, c.host().keyTensor());
        w.putString(HOST_FILE_SHA256, c.host().fileSha256());
        w.putString(GgufKeys.TOKENIZER_SHA256, c.tokenizerSha256());
        w.putFloat32(DEFAULT_LAMBDA, c.defaultLambda());
        w.putFloat32(DEFAULT_TEMPERATURE, c.defaultTemperature());
        for (Map.Entry<String, String> e : extra.entrySet()) {
            String key = e.getKey();
            if (key.startsWith(ARCH + ".") || key.startsWith("memdec.host.") || key.equals(GgufKeys.ARCHITECTURE)
                    || key.equals(GgufKeys.FILE_TYPE) || key.equals(GgufKeys.QUANTIZATION_VERSION)
                    || key.equals(GgufKeys.TOKENIZER_SHA256) || key.equals(DEFAULT_LAMBDA)
                    || key.equals(DEFAULT_TEMPERATURE)) {
                throw new IllegalArgumentException("extra metadata key '" + key + "' would redefine a key the MLP memory layout owns");
            }
            w.putString(key, e.getValue());
        }
        for (MlpMemoryTensors.Spec s : MlpMemoryTensors.of(c)) {
            w.addTensor(s.name(), s.isMatrix() ? type : GgmlType.F32, s.ne(), weights.apply(s.name()));
        }
        w.write(out);
    }

    /** Refuses a type the matrices cannot be stored in; the message names the tensor and the block size. */
    public static void checkType(MlpMemoryConfig c, GgmlType type) {
        if (!type.canEncode()) {
            throw new IllegalArgumentException("cannot write tensors as " + type + " (supported: F32, F16, BF16, Q8_0, Q4_0)");
        }
        for (MlpMemoryTensors.Spec s : MlpMemoryTensors.of(c)) {
            if (s.isMatrix() && s.ne()[0] % type.blockSize() != 0) {
                throw new IllegalArgumentException("tensor '" + s.name() + "' rows have " + s.ne()[0]
                        + " elements, not a multiple of the " + type + " block size " + type.blockSize());
            }
        }
    }

    /** True when {@code f} declares itself an MLP memory (its tensors are not checked yet). */
    public static boolean isMlpMemory(GgufFile f) {
        return f.find(GgufKeys.ARCHITECTURE).map(v -> v.type() == GgufValueType.STRING && ARCH.equals(v.asString()))
                .orElse(false);
    }

    /**
     * Validates an MLP memory GGUF and returns its configuration: every key present with its type and a sane value,
     * exactly the tensors of {@link MlpMemoryTensors} with their shapes, 1-D tensors F32 and matrices in a type memdec
     * decodes.
     *
     * @throws IllegalArgumentException one line naming the file, the key or tensor, and what was expected
     */
    public static MlpMemoryConfig read(GgufFile f) {
        String file = f.name();
        if (!isMlpMemory(f)) {
            throw new IllegalArgumentException(file + ": general.architecture is '"
                    + f.find(GgufKeys.ARCHITECTURE).map(v -> v.type() == GgufValueType.STRING ? v.asString() : v.toString())
                            .orElse("missing") + "', expected '" + ARCH + "'");
        }
        MlpMemoryConfig c;
        try {
            MlpMemoryConfig.Host host = new MlpMemoryConfig.Host(f.getString(HOST_ARCH), positive(f, HOST_WIDTH),
                    f.getString(HOST_KEY_TENSOR), f.getString(HOST_FILE_SHA256));
            c = new MlpMemoryConfig(MlpMemoryConfig.Flavour.parse(f.getString(FLAVOUR)), positive(f, WIDTH),
                    positive(f, BLOCKS), positive(f, FF), positive(f, VOCAB), f.getFloat32(EPS), host,
                    f.getString(GgufKeys.TOKENIZER_SHA256), f.getFloat32(DEFAULT_LAMBDA), f.getFloat32(DEFAULT_TEMPERATURE));
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            throw new IllegalArgumentException(m.startsWith(file) ? m : file + ": " + m, e);
        }
        Map<String, GgufTensorInfo> present = new HashMap<>();
        for (GgufTensorInfo t : f.tensors()) {
            present.put(t.name(), t);
        }
        List<MlpMemoryTensors.Spec> expected = MlpMemoryTensors.of(c);
        for (MlpMemoryTensors.Spec s : expected) {
            GgufTensorInfo t = present.remove(s.name());
            if (t == null) {
                throw new IllegalArgumentException(file + ": tensor '" + s.name() + "' is missing (a " + c.blocks()
                        + "-block " + c.flavour().ggufName() + " MLP memory has " + expected.size() + " tensors)");
            }
            if (!Arrays.equals(t.ne(), s.ne())) {
                throw new IllegalArgumentException(file + ": tensor '" + s.name() + "' has shape " + Arrays.toString(t.ne())
                        + ", expected " + Arrays.toString(s.ne()));
            }
            if (s.isMatrix() ? !t.type().canEncode() : t.type() != GgmlType.F32) {
                throw new IllegalArgumentException(file + ": tensor '" + s.name() + "' is " + t.type() + ", expected "
                        + (s.isMatrix() ? "F32, F16, BF16, Q8_0 or Q4_0" : "F32"));
            }
        }
        if (!present.isEmpty()) {
            throw new IllegalArgumentException(file + ": unexpected tensor(s) " + present.keySet().stream().sorted().toList()
                    + " for a " + c.blocks() + "-block " + c.flavour().ggufName() + " MLP memory");
        }
        return c;
    }

    private static int positive(GgufFile f, String key) {
        long v = f.getUInt32(key);
        if (v < 1 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(f.name() + ": metadata key '" + key + "' is " + v + ", expected >= 1");
        }
        return (int) v;
    }
}

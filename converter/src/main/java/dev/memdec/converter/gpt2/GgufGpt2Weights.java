package dev.memdec.converter.gpt2;

import dev.memdec.converter.gguf.FloatSource;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
import java.util.Optional;

/**
 * The weights of a gpt2 GGUF, dequantized to float on demand from the mapping (valid while the file is open). A file without {@code output.weight}
 * (written by converters after llama.cpp PR #12456) uses the token embedding as its output matrix.
 */
public final class GgufGpt2Weights implements Gpt2Weights {

    private final GgufFile file;

    public GgufGpt2Weights(GgufFile file) {
        this.file = file;
    }

    @Override
    public FloatSource tensor(String ggufName) {
        return file.floats(info(ggufName));
    }

    /** Reads the tensor directly (no extra copy), checking it has the expected element count. */
    @Override
    public float[] load(String ggufName, long count) {
        GgufTensorInfo t = info(ggufName);
        if (t.elementCount() != count) {
            throw new IllegalArgumentException(file.name() + ": tensor '" + t.name() + "' has " + t.elementCount()
                    + " elements, expected " + count + " for '" + ggufName + "' of this gpt2 config");
        }
        return file.readFloats(t);
    }

    private GgufTensorInfo info(String ggufName) {
        Optional<GgufTensorInfo> info = file.tensor(ggufName);
        if (info.isEmpty() && ggufName.equals(Gpt2Tensors.OUTPUT)) {
            info = file.tensor(Gpt2Tensors.TOKEN_EMBD);
        }
        return info.orElseThrow(() -> new IllegalArgumentException(file.name() + ": no tensor '" + ggufName + "'"));
    }
}

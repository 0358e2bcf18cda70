package dev.memdec.plugin.bench;

import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.gpt2.Gpt2Tensors;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The weight bytes one batch-1 decode step reads: every tensor once, except the embedding tables that are only
 * looked up — one row of {@code position_embd}, and one row of {@code token_embd} when the file has its own
 * {@code output.weight} (a tied head reads the whole table as the output projection). The bench's bandwidth-limit
 * fractions divide this, not the file's tensor total, by the read bandwidth.
 */
public final class StepBytes {

    private StepBytes() {
    }

    /** Bytes of weights a decode step of the model in {@code file} reads. */
    public static long of(Path file) throws IOException {
        try (GgufFile f = GgufFile.open(file)) {
            boolean tiedHead = f.tensor(Gpt2Tensors.OUTPUT).isEmpty();
            long bytes = 0;
            for (GgufTensorInfo t : f.tensors()) {
                boolean lookedUp = t.name().equals(Gpt2Tensors.POSITION_EMBD)
                        || (t.name().equals(Gpt2Tensors.TOKEN_EMBD) && !tiedHead);
                bytes += lookedUp ? t.byteSize() / t.ne(1) : t.byteSize();
            }
            return bytes;
        }
    }
}

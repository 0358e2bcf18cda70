package dev.memdec.converter.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeVocabularyGgufTest {

    @TempDir
    Path dir;

    private BpeVocabulary roundTrip(String name, Consumer<GgufWriter> keys) throws Exception {
        GgufWriter w = new GgufWriter().putString("general.architecture", "gpt2");
        keys.accept(w);
        w.addTensor("t", GgmlType.F32, new long[] {1}, (first, dst, count) -> dst[0] = 0);
        Path p = dir.resolve(name);
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            return BpeVocabulary.readFrom(f);
        }
    }

    @Test
    void writeThenReadIsIdentity() throws Exception {
        BpeVocabulary v = new BpeVocabulary("gpt2", "qwen2", List.of("a", "b", "ab", "<pad>"), new int[] {1, 1, 1, 3},
                List.of("a b"), 0, 2, OptionalInt.of(3), true);
        BpeVocabulary back = roundTrip("full.gguf", v::writeTo);
        assertEquals(v, back);
        assertEquals(v.sha256(), back.sha256());
    }

    @Test
    void absentOptionalKeysTakeLlamaCppDefaults() throws Exception {
        BpeVocabulary v = roundTrip("minimal.gguf", w -> w.putString("tokenizer.ggml.model", "gpt2")
                .putStringArray("tokenizer.ggml.tokens", List.of("a", "b", "ab"))
                .putStringArray("tokenizer.ggml.merges", List.of("a b")));
        assertEquals("default", v.pre());
        assertArrayEquals(new int[] {1, 1, 1}, v.tokenTypes());
        assertEquals(-1, v.bos());
        assertEquals(-1, v.eos());
        assertFalse(v.addBos());
        BpeVocabulary llama3 = roundTrip("llama-bpe.gguf", w -> w.putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", "llama-bpe")
                .putStringArray("tokenizer.ggml.tokens", List.of("a", "b", "ab"))
                .putStringArray("tokenizer.ggml.merges", List.of("a b")));
        assertTrue(llama3.addBos(), "llama-bpe adds bos by default");
        BpeVocabulary spm = roundTrip("spm.gguf", w -> w.putString("tokenizer.ggml.model", "llama")
                .putStringArray("tokenizer.ggml.tokens", List.of("a", "b")));
        assertEquals(List.of(), spm.merges());
    }

    @Test
    void missingMergesForGpt2IsReportedWithTheFileAndKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> roundTrip("nomerges.gguf",
                w -> w.putString("tokenizer.ggml.model", "gpt2").putStringArray("tokenizer.ggml.tokens", List.of("a"))));
        assertTrue(e.getMessage().contains("nomerges.gguf") && e.getMessage().contains("tokenizer.ggml.merges"),
                e.getMessage());
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class, () -> roundTrip("dup.gguf",
                w -> w.putString("tokenizer.ggml.model", "gpt2").putStringArray("tokenizer.ggml.tokens", List.of("a", "a"))
                        .putStringArray("tokenizer.ggml.merges", List.of())));
        assertTrue(dup.getMessage().contains("dup.gguf") && dup.getMessage().contains("tokens[1]"), dup.getMessage());
    }
}

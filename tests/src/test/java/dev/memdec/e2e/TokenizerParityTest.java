package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import dev.memdec.natives.llama.Vocab;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPT-2 tokenizer metadata we write (merges rebuilt from JTokkit's r50k ranks) makes llama.cpp tokenize real
 * English exactly as JTokkit does, line by line, over 3,000 lines of Moby-Dick.
 */
class TokenizerParityTest {

    @Test
    void llamaCppTokenizesLikeJTokkit(@TempDir Path dir) throws IOException {
        Path gguf = dir.resolve("vocab.gguf");
        Gpt2Config config = Gpt2Config.of(1, 32, 2, 64, Gpt2Tokenizer.VOCAB_SIZE);
        Gpt2GgufExporter.write(config, new RandomGpt2Weights(config, 1), Gpt2Tokenizer.vocabulary(), GgmlType.F32,
                Map.of(), gguf);
        Encoding jtokkit = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
        List<String> lines = readFixture();
        assertTrue(lines.size() >= 3000, "fixture has " + lines.size() + " lines");

        long tokens = 0;
        try (LlamaModel model = LlamaModel.load(gguf, ModelOptions.defaults().withVocabOnly(true))) {
            Vocab vocab = model.vocab();
            assertEquals(Vocab.TYPE_BPE, vocab.type());
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i) + "\n";
                int[] expected = jtokkit.encodeOrdinary(line).toArray();
                int[] actual = vocab.tokenize(line, false, false);
                assertArrayEquals(expected, actual, "line " + (i + 1) + ": " + line);
                assertEquals(line, vocab.detokenize(actual), "detokenize round trip, line " + (i + 1));
                tokens += actual.length;
            }
        }
        assertTrue(tokens > 30_000, "only " + tokens + " tokens compared");
    }

    private static List<String> readFixture() throws IOException {
        try (InputStream in = TokenizerParityTest.class.getResourceAsStream("/text/moby-dick-3000-lines.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }
}

package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.tokenizer.BpeTrainer;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.ByteLevelBpeTokenizer;
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
 * A byte-level BPE vocabulary learned by {@link BpeTrainer} (as the demo learns its host's) loads in llama.cpp and
 * tokenizes text it was not learned from exactly as the project's own encoder does, line by line, and back.
 */
class LearnedTokenizerParityTest {

    @Test
    void llamaCppTokenizesLikeTheJavaEncoder(@TempDir Path dir) throws IOException {
        BpeVocabulary vocabulary = BpeTrainer.train(List.of(fixture("/text/brown-150k.txt")), 1024);
        assertEquals(1024, vocabulary.size());
        ByteLevelBpeTokenizer tokenizer = new ByteLevelBpeTokenizer(vocabulary);
        Path gguf = dir.resolve("learned.gguf");
        Gpt2Config config = Gpt2Config.of(1, 32, 2, 64, vocabulary.size());
        Gpt2GgufExporter.write(config, new RandomGpt2Weights(config, 1), vocabulary, GgmlType.F32, Map.of(), gguf);

        List<String> lines = fixture("/text/moby-dick-3000-lines.txt").lines().toList();
        long tokens = 0;
        try (LlamaModel model = LlamaModel.load(gguf, ModelOptions.defaults().withVocabOnly(true))) {
            Vocab vocab = model.vocab();
            assertEquals(Vocab.TYPE_BPE, vocab.type());
            assertEquals(1024, vocab.size());
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i) + "\n";
                int[] expected = tokenizer.encode(line);
                int[] actual = vocab.tokenize(line, false, false);
                assertArrayEquals(expected, actual, "line " + (i + 1) + ": " + line);
                assertEquals(line, vocab.detokenize(actual), "detokenize round trip, line " + (i + 1));
                assertEquals(line, tokenizer.decode(expected), "Java decode round trip, line " + (i + 1));
                tokens += actual.length;
            }
            // Text in other scripts falls back to byte tokens in both.
            String foreign = "Caf\u00e9 \u65e5\u672c\u8a9e \ud83d\ude00 na\u00efve\n";
            assertArrayEquals(tokenizer.encode(foreign), vocab.tokenize(foreign, false, false), foreign);
        }
        assertTrue(tokens > 40_000, "only " + tokens + " tokens compared");
    }

    private static String fixture(String name) throws IOException {
        try (InputStream in = LearnedTokenizerParityTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

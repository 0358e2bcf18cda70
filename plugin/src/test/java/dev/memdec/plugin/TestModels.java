package dev.memdec.plugin;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Tiny random GPT-2 models with the real GPT-2 vocabulary, written once per test JVM: a host (2 layers, 64 embd),
 * a smaller memory (1 layer, 32 embd) and a memory whose vocabulary differs in one token text.
 */
final class TestModels {

    static final int CTX = 128;
    static final Gpt2Config HOST = Gpt2Config.of(2, 64, 2, CTX, Gpt2Tokenizer.VOCAB_SIZE);
    static final Gpt2Config MEMORY = Gpt2Config.of(1, 32, 2, CTX, Gpt2Tokenizer.VOCAB_SIZE);
    /** The id whose text the mismatched memory changes. */
    static final int CHANGED_TOKEN = 1000;

    private static Path dir;

    private TestModels() {
    }

    static synchronized Path dir() {
        if (dir == null) {
            try {
                dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "memdec-plugin-models");
                Path created = dir;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(created)));
                BpeVocabulary vocab = Gpt2Tokenizer.vocabulary();
                Gpt2GgufExporter.write(HOST, new RandomGpt2Weights(HOST, 1), vocab, GgmlType.F32, Map.of(),
                        dir.resolve("host.gguf"));
                Gpt2GgufExporter.write(MEMORY, new RandomGpt2Weights(MEMORY, 2), vocab, GgmlType.F32, Map.of(),
                        dir.resolve("memory.gguf"));
                List<String> tokens = new ArrayList<>(vocab.tokens());
                tokens.set(CHANGED_TOKEN, "memdec-not-a-gpt2-token");
                BpeVocabulary changed = new BpeVocabulary(vocab.model(), vocab.pre(), tokens, vocab.tokenTypes(),
                        vocab.merges(), vocab.bos(), vocab.eos(), vocab.pad(), vocab.addBos());
                Gpt2GgufExporter.write(MEMORY, new RandomGpt2Weights(MEMORY, 2), changed, GgmlType.F32, Map.of(),
                        dir.resolve("memory-other-vocab.gguf"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir;
    }

    private static void deleteQuietly(Path d) {
        try (var files = Files.list(d)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(d);
        } catch (IOException e) {
            // best effort at JVM exit; the directory is under the build's private tmpdir anyway
        }
    }

    static Path host() {
        return dir().resolve("host.gguf");
    }

    static Path memory() {
        return dir().resolve("memory.gguf");
    }

    static Path memoryWithOtherVocab() {
        return dir().resolve("memory-other-vocab.gguf");
    }

    static RuntimeOptions options() {
        return RuntimeOptions.defaults().withThreads(1).withContextSize(CTX).withBatchSize(32);
    }
}

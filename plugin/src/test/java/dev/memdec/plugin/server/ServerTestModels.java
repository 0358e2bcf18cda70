package dev.memdec.plugin.server;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.plugin.RuntimeOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tiny random GPT-2 models with the real GPT-2 vocabulary, written once per test JVM with the converter's
 * exporter: a host (2 layers, 64 embd) and two memories, "law" and "med" (1 layer, 32 embd, different seeds).
 */
public final class ServerTestModels {
    static final int CTX = 256;
    static final Gpt2Config HOST = Gpt2Config.of(2, 64, 2, CTX, Gpt2Tokenizer.VOCAB_SIZE);
    static final Gpt2Config MEMORY = Gpt2Config.of(1, 32, 2, CTX, Gpt2Tokenizer.VOCAB_SIZE);

    private static Path dir;

    private ServerTestModels() {
    }

    static synchronized Path dir() {
        if (dir == null) {
            try {
                Path d = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "memdec-server-models");
                BpeVocabulary vocab = Gpt2Tokenizer.vocabulary();
                Gpt2GgufExporter.write(HOST, new RandomGpt2Weights(HOST, 11), vocab, GgmlType.F32, Map.of(),
                        d.resolve("host.gguf"));
                Gpt2GgufExporter.write(MEMORY, new RandomGpt2Weights(MEMORY, 12), vocab, GgmlType.F32, Map.of(),
                        d.resolve("law.gguf"));
                Gpt2GgufExporter.write(MEMORY, new RandomGpt2Weights(MEMORY, 13), vocab, GgmlType.F32, Map.of(),
                        d.resolve("med.gguf"));
                dir = d;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir;
    }

    public static Path host() {
        return dir().resolve("host.gguf");
    }

    public static Map<String, Path> memories() {
        Map<String, Path> m = new LinkedHashMap<>();
        m.put("law", dir().resolve("law.gguf"));
        m.put("med", dir().resolve("med.gguf"));
        return m;
    }

    static RuntimeOptions options() {
        return RuntimeOptions.defaults().withThreads(1).withContextSize(CTX).withBatchSize(64);
    }

    private static TestServer shared;

    /**
     * One server over the real runtime for every test class in this JVM (loading models is the slow part): two
     * slots, a queue of 32, both memories, λ 0.4 by default. Tests must not close it; it lives until the JVM exits.
     */
    static synchronized TestServer sharedServer() throws IOException {
        if (shared == null) {
            RuntimeEngine engine = RuntimeEngine.open(host(), memories(), options(), 2);
            try {
                shared = new TestServer(engine, 2, 32, java.time.Duration.ofSeconds(120));
            } catch (IOException | RuntimeException e) {
                engine.close();
                throw e;
            }
        }
        return shared;
    }
}

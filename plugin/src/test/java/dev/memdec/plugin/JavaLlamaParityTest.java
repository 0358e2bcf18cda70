package dev.memdec.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.ModelParameters;
import dev.memdec.natives.llama.InferenceLock;
import dev.memdec.plugin.mix.Mixing;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/** With a memory attached at λ = 0, generation is exactly what java-llama.cpp produces from the host alone. */
class JavaLlamaParityTest {

    private static final String PROMPT = "In the beginning the Universe was created.";

    @Test
    void lambdaZeroGreedyTextEqualsJavaLlamaCpp() throws Exception {
        String reference;
        ReentrantLock lock = InferenceLock.lock();
        lock.lock(); // java-llama.cpp decodes on its own thread; it must not overlap ours
        try (de.kherud.llama.LlamaModel model = new de.kherud.llama.LlamaModel(new ModelParameters()
                .setModel(TestModels.host().toString()).setCtxSize(TestModels.CTX).setThreads(1)
                .setThreadsBatch(1).setParallel(1))) {
            reference = model.complete(new InferenceParameters(PROMPT).setTemperature(0f).setNPredict(16)
                    .setSeed(1));
        } finally {
            lock.unlock();
        }
        try (HostModel host = HostModel.open(TestModels.host(), TestModels.options());
             MemoryModel memory = MemoryModel.open(TestModels.memory(), TestModels.options())) {
            host.attach(memory);
            GenerationResult mixed = host.complete(GenerationRequest.of(PROMPT).withMaxTokens(16)
                    .withMixing(Mixing.of(0)));
            assertFalse(reference.isEmpty());
            assertEquals(reference, mixed.text());
        }
    }
}

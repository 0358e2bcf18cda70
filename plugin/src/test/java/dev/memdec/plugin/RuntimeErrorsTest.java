package dev.memdec.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFormatException;
import dev.memdec.converter.gguf.GgufWriter;
import dev.memdec.converter.gguf.FloatSource;
import dev.memdec.natives.llama.RuntimeProfile;
import dev.memdec.plugin.mix.Mixing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gives a clear exception, never a crash. */
class RuntimeErrorsTest {

    @Test
    void mismatchedTokenizerIsRefusedWithTheDifference() throws Exception {
        try (HostModel host = HostModel.open(TestModels.host(), TestModels.options());
             MemoryModel other = MemoryModel.open(TestModels.memoryWithOtherVocab(), TestModels.options())) {
            IncompatibleMemoryException e = assertThrows(IncompatibleMemoryException.class, () -> host.attach(other));
            assertTrue(e.getMessage().contains("id " + TestModels.CHANGED_TOKEN), e.getMessage());
            assertTrue(e.getMessage().contains("memdec-not-a-gpt2-token"), e.getMessage());
            assertTrue(e.getMessage().contains(TokenizerFacts.SHA256_KEY), e.getMessage());
            assertTrue(host.memory().isEmpty());
        }
    }

    @Test
    void missingAndMalformedFilesAreRefusedBeforeLlamaCpp(@TempDir Path dir) throws Exception {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> MemoryModel.open(dir.resolve("nope.gguf"), TestModels.options()));
        assertTrue(missing.getMessage().contains("nope.gguf"), missing.getMessage());
        byte[] bytes = Files.readAllBytes(TestModels.memory());
        Path truncated = dir.resolve("truncated.gguf");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
        assertThrows(GgufFormatException.class, () -> MemoryModel.open(truncated, TestModels.options()));
        Path garbage = dir.resolve("garbage.gguf");
        Files.writeString(garbage, "not a model at all");
        assertThrows(GgufFormatException.class, () -> HostModel.open(garbage, TestModels.options()));
    }

    @Test
    void anArchitectureTheRuntimeCannotLoadIsRefusedByNameBeforeLlamaCpp(@TempDir Path dir) throws Exception {
        // qwen3 is newer than b4916 (v0.5.0 loads it); no llama.cpp knows "nosucharch"
        boolean b4916 = RuntimeProfile.selected() == RuntimeProfile.B4916;
        String arch = b4916 ? "qwen3" : "nosucharch";
        Path file = dir.resolve(arch + ".gguf");
        new GgufWriter().putString("general.architecture", arch)
                .addTensor("token_embd.weight", GgmlType.F32, new long[] {4, 2}, FloatSource.of(new float[8]))
                .write(file);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HostModel.open(file, TestModels.options()));
        String runtime = RuntimeProfile.selected().id();
        assertTrue(e.getMessage().contains("architecture '" + arch + "' is not one llama.cpp " + runtime + " can load"),
                e.getMessage());
        assertTrue(e.getMessage().contains(arch + ".gguf"), e.getMessage());
        assertEquals(b4916, e.getMessage().contains("llama.cpp v0.5.0 loads it (--runtime v0.5.0)"), e.getMessage());
    }

    @Test
    void everyArchitectureOfTheProfileIsAcceptedAndB4916sAreASubsetOfV050s() {
        assertTrue(RuntimeProfile.V0_5_0.architectures().containsAll(RuntimeProfile.B4916.architectures()));
        for (String a : new String[] {"gpt2", "llama", "qwen2", "gemma3", "phi3"}) {
            RuntimeProfile.B4916.checkArchitecture(a, "x");
        }
        for (String a : new String[] {"qwen3", "qwen35", "gemma4", "llama4", "gpt-oss", "mistral3", "deepseek2"}) {
            RuntimeProfile.V0_5_0.checkArchitecture(a, "x");
        }
        assertEquals(151, RuntimeProfile.V0_5_0.architectures().size());
    }

    @Test
    void gpuLayersWithoutAGpuBackendIsOneClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HostModel.open(TestModels.host(), TestModels.options().withGpuLayers(8)));
        assertTrue(e.getMessage().startsWith("--gpu-layers 8: llama.cpp " + RuntimeProfile.selected().id()
                + " here is a CPU build (choose one with --gpu-backend vulkan|cuda on v0.5.0)"), e.getMessage());
    }

    @Test
    void modelLargerThanAvailableMemoryIsRefused() throws Exception {
        long weights = Files.size(TestModels.memory());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelFile.validate(TestModels.memory(), "memory", OptionalLong.of(weights / 4)));
        assertTrue(e.getMessage().contains("only") && e.getMessage().contains("GB of memory is available"),
                e.getMessage());
        // The same file passes when memory suffices or is unknown.
        ModelFile.validate(TestModels.memory(), "memory", OptionalLong.of(weights * 2));
        ModelFile.validate(TestModels.memory(), "memory", OptionalLong.empty());
    }

    @Test
    void repeatPenaltyOverTheWholeContextIsAccepted() throws Exception {
        try (HostModel host = HostModel.open(TestModels.host(), TestModels.options())) {
            GenerationRequest request = GenerationRequest.of("Hello").withMaxTokens(4)
                    .withSampling(Sampling.greedy().withRepeatPenalty(1.5f, -1));
            assertTrue(host.complete(request).tokenIds().length == 4);
        }
    }

    @Test
    void badSettingsAreRejected() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> Mixing.of(1.01));
        assertThrows(IllegalArgumentException.class, () -> new Mixing(0.5, 0));
        assertThrows(IllegalArgumentException.class, () -> Sampling.defaults().withTemperature(-1));
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.of("x").withMaxTokens(0));
        assertThrows(IllegalArgumentException.class,
                () -> HostModel.open(TestModels.host(), TestModels.options().withContextSize(TestModels.CTX + 1)));
        try (HostModel host = HostModel.open(TestModels.host(), TestModels.options())) {
            IllegalArgumentException noMemory = assertThrows(IllegalArgumentException.class,
                    () -> host.generate(GenerationRequest.of("x").withLambda(0.5)));
            assertTrue(noMemory.getMessage().contains("memory"), noMemory.getMessage());
            // The host still works after refused requests.
            assertTrue(host.complete(GenerationRequest.of("Hello").withMaxTokens(3)).tokenIds().length == 3);
        }
    }
}

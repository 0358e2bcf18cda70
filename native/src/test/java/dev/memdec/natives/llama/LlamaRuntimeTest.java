package dev.memdec.natives.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LlamaRuntimeTest {
  @Test
  void loadsBuild4916ThroughJavaLlamaCppsLoader() {
    LlamaRuntime rt = LlamaRuntime.get();
    assertEquals(4916, rt.buildNumber());
    assertEquals("c6af2161", rt.commit());
    assertTrue(rt.systemInfo().contains("AVX2"), rt.systemInfo());
  }

  @Test
  void structSizesAndDefaultsMatchTheB4916Layouts() {
    LlamaRuntime.get();
    assertEquals(java.util.List.of(), LlamaRuntime.structMismatches());
    assertEquals(64, LlamaLibrary.MODEL_PARAMS.byteSize());
    assertEquals(120, LlamaLibrary.CONTEXT_PARAMS.byteSize());
    assertEquals(56, LlamaLibrary.BATCH.byteSize());
    assertEquals(12, LlamaLibrary.TOKEN_DATA.byteSize());
    assertEquals(32, LlamaLibrary.TOKEN_DATA_ARRAY.byteSize());
    assertEquals(48, LlamaLibrary.SAMPLER_IFACE.byteSize());
    assertEquals(16, LlamaLibrary.SAMPLER.byteSize());
    assertEquals(1, LlamaLibrary.CHAIN_PARAMS.byteSize());
    assertEquals(72, LlamaLibrary.offset(LlamaLibrary.CONTEXT_PARAMS, "cb_eval"));
    assertEquals(97, LlamaLibrary.offset(LlamaLibrary.CONTEXT_PARAMS, "embeddings"));
    assertEquals(57, LlamaLibrary.offset(LlamaLibrary.MODEL_PARAMS, "use_mmap"));
  }

  @Test
  void refusesAnyOtherBuildNamingBoth() {
    LlamaRuntime.checkBuild(4916, "c6af2161");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> LlamaRuntime.checkBuild(5000, "deadbeef"));
    assertTrue(e.getMessage().contains("build 5000") && e.getMessage().contains("4916")
        && e.getMessage().contains("deadbeef"), e.getMessage());
  }

  @Test
  void modelLoadRejectsMissingAndNonGgufFilesBeforeLlamaCpp(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path missing = dir.resolve("absent.gguf");
    var e1 = assertThrows(java.io.IOException.class, () -> LlamaModel.load(missing, ModelOptions.defaults()));
    assertTrue(e1.getMessage().contains("absent.gguf"), e1.getMessage());
    java.nio.file.Path notGguf = dir.resolve("x.gguf");
    java.nio.file.Files.writeString(notGguf, "NOPE and more");
    var e2 = assertThrows(java.io.IOException.class, () -> LlamaModel.load(notGguf, ModelOptions.defaults()));
    assertTrue(e2.getMessage().contains("GGUF magic"), e2.getMessage());
  }
}

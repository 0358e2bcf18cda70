package dev.memdec.natives.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LlamaRuntimeTest {
  private static final boolean V050 = RuntimeProfile.selected() == RuntimeProfile.V0_5_0;

  @Test
  void loadsTheSelectedProfilesBuild() {
    LlamaRuntime rt = LlamaRuntime.get();
    assertEquals(RuntimeProfile.selected(), rt.profile());
    if (V050) {
      assertEquals(-1, rt.buildNumber());
      assertTrue(rt.commit().contains("0.5.0-dev"), rt.commit());
    } else {
      assertEquals(4916, rt.buildNumber());
      assertEquals("c6af2161", rt.commit());
    }
    assertTrue(rt.systemInfo().contains("AVX2"), rt.systemInfo());
    if (LocalBuild.selectedDir() == null) {
      // java-llama.cpp's b4916 links libgomp; the prebuilt v0.5.0 CPU backends do not (the mixing split relies on it)
      assertEquals(!V050, rt.openMp(), rt.systemInfo());
    }
  }

  @Test
  void contextsShareOnePersistentPoolPerThreadCountWhereTheBuildHasNoOpenMp() {
    LlamaRuntime.get();
    assertEquals(0, CpuThreadPools.shared(1).address(), "one thread needs no pool");
    java.lang.foreign.MemorySegment two = CpuThreadPools.shared(2);
    if (LocalBuild.selectedDir() == null) {
      assertEquals(V050, CpuThreadPools.used(), "the prebuilt v0.5.0 uses pools, b4916's OpenMP team does not");
    }
    if (CpuThreadPools.used()) {
      assertTrue(two.address() != 0);
      assertEquals(two, CpuThreadPools.shared(2), "the same pool for every context of that thread count");
      assertNotEquals(two, CpuThreadPools.shared(3));
    } else {
      assertEquals(0, two.address());
    }
  }

  @Test
  void structSizesAndDefaultsMatchTheV050Header() {
    org.junit.jupiter.api.Assumptions.assumeTrue(V050, "runs on the v0.5.0 profile (CI runs both)");
    LlamaRuntime.get();
    assertEquals(java.util.List.of(), LlamaRuntime.structMismatches());
    assertEquals(80, LlamaLibrary.MODEL_PARAMS.byteSize());
    assertEquals(160, LlamaLibrary.CONTEXT_PARAMS.byteSize());
    assertEquals(96, LlamaLibrary.SAMPLER_IFACE.byteSize());
    // offsets worked out by hand from the v0.5.0 tag's llama.h (x86_64 SysV)
    assertEquals(24, LlamaLibrary.offset(LlamaLibrary.MODEL_PARAMS, "load_mode"));
    assertEquals(72, LlamaLibrary.offset(LlamaLibrary.MODEL_PARAMS, "vocab_only"));
    assertEquals(52, LlamaLibrary.offset(LlamaLibrary.CONTEXT_PARAMS, "flash_attn_type"));
    assertEquals(88, LlamaLibrary.offset(LlamaLibrary.CONTEXT_PARAMS, "cb_eval"));
    assertEquals(128, LlamaLibrary.offset(LlamaLibrary.CONTEXT_PARAMS, "embeddings"));
    assertEquals(152, LlamaLibrary.offset(LlamaLibrary.CONTEXT_PARAMS, "ctx_other"));
  }

  @Test
  void structSizesAndDefaultsMatchTheB4916Layouts() {
    org.junit.jupiter.api.Assumptions.assumeFalse(V050, "runs on the b4916 profile (CI runs both)");
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
  void refusesAnotherV050VersionNamingBoth() {
    LlamaRuntime.checkVersion("0.5.0-dev");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> LlamaRuntime.checkVersion("0.6.1"));
    assertTrue(e.getMessage().contains("0.6.1") && e.getMessage().contains("0.5.0-dev"), e.getMessage());
  }

  @Test
  void profileNamesParseAndUnknownOnesAreRefusedByName() {
    assertEquals(RuntimeProfile.V0_5_0, RuntimeProfile.parse("v0.5.0"));
    assertEquals(RuntimeProfile.B4916, RuntimeProfile.parse("B4916"));
    var e = assertThrows(IllegalArgumentException.class, () -> RuntimeProfile.parse("b9999"));
    assertEquals("unknown llama.cpp runtime 'b9999': expected b4916 or v0.5.0", e.getMessage());
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(value = GpuBackend.class, names = {"NONE", "VULKAN"})
  void aMissingOrDamagedV050PackageIsRefusedInOneLine(GpuBackend backend,
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    String install = backend == GpuBackend.NONE ? "scripts/setup.sh)" : "scripts/setup.sh --gpu-backend vulkan)";
    java.nio.file.Path absent = dir.resolve("absent");
    var e1 = assertThrows(IllegalStateException.class, () -> RuntimeProfile.verifyV050(absent, backend));
    assertTrue(e1.getMessage().contains("not installed") && e1.getMessage().contains(install.replace(")", ","))
        && e1.getMessage().contains(backend.npmPackage()), e1.getMessage());
    var e2 = assertThrows(IllegalStateException.class, () -> RuntimeProfile.verifyV050(dir, backend));
    assertTrue(e2.getMessage().contains("libggml-base.so is missing") && e2.getMessage().endsWith(install),
        e2.getMessage());
    // the first library of the pinned list, with one byte changed
    java.nio.file.Path real = RuntimeProfile.v050Dir(backend).resolve("libggml-base.so");
    byte[] bytes = java.nio.file.Files.readAllBytes(real);
    bytes[bytes.length / 2] ^= 1;
    java.nio.file.Files.write(dir.resolve("libggml-base.so"), bytes);
    var e3 = assertThrows(IllegalStateException.class, () -> RuntimeProfile.verifyV050(dir, backend));
    assertTrue(e3.getMessage().contains("libggml-base.so has sha256") && !e3.getMessage().contains("\n"),
        e3.getMessage());
    RuntimeProfile.verifyV050(RuntimeProfile.v050Dir(backend), backend); // the installed package passes
  }

  @Test
  void gpuBackendNamesParseAndUnknownOnesAreRefusedByName() {
    assertEquals(GpuBackend.VULKAN, GpuBackend.parse("Vulkan"));
    assertEquals(GpuBackend.CUDA, GpuBackend.parse("cuda"));
    assertEquals(GpuBackend.NONE, GpuBackend.parse("none"));
    var e = assertThrows(IllegalArgumentException.class, () -> GpuBackend.parse("metal"));
    assertEquals("unknown GPU backend 'metal': expected none, vulkan or cuda", e.getMessage());
    assertEquals("libllama.vulkan.v0.5.0.so", GpuBackend.VULKAN.llamaLibrary());
    assertEquals("libggml.v0.5.0.so", GpuBackend.NONE.ggmlLibrary());
    // each build's pinned list names its own libllama and libggml, and the CPU backends all builds share
    for (GpuBackend b : GpuBackend.values()) {
      var sums = RuntimeProfile.v050Checksums(b);
      assertTrue(sums.containsKey(b.llamaLibrary()) && sums.containsKey(b.ggmlLibrary()), b + ": " + sums.keySet());
      assertEquals(RuntimeProfile.v050Checksums(GpuBackend.NONE).get("libggml-cpu-haswell.so"),
          sums.get("libggml-cpu-haswell.so"), b.toString());
    }
    assertTrue(RuntimeProfile.v050Checksums(GpuBackend.VULKAN).containsKey("libggml-vulkan.so"));
    assertTrue(RuntimeProfile.v050Checksums(GpuBackend.CUDA).containsKey("libggml-cuda.so"));
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

package dev.memdec.natives.llama;

/**
 * How to load a model.
 *
 * @param gpuLayers layers to offload ({@code n_gpu_layers}); the bundled library is CPU-only, so 0 unless a
 *     self-built GPU libjllama.so is supplied through {@code de.kherud.llama.lib.path}
 * @param useMmap map the file instead of reading it (llama.cpp's default)
 * @param vocabOnly load only the vocabulary and metadata (no tensors); no context can be created then
 */
public record ModelOptions(int gpuLayers, boolean useMmap, boolean vocabOnly) {
  public ModelOptions {
    if (gpuLayers < 0) {
      throw new IllegalArgumentException("gpuLayers must be >= 0, got " + gpuLayers);
    }
  }

  /** llama.cpp's defaults: CPU, mmap, full model. */
  public static ModelOptions defaults() {
    return new ModelOptions(0, true, false);
  }

  public ModelOptions withGpuLayers(int n) {
    return new ModelOptions(n, useMmap, vocabOnly);
  }

  public ModelOptions withMmap(boolean mmap) {
    return new ModelOptions(gpuLayers, mmap, vocabOnly);
  }

  public ModelOptions withVocabOnly(boolean only) {
    return new ModelOptions(gpuLayers, useMmap, only);
  }
}

package dev.memdec.natives.llama;

/**
 * How to load a model.
 *
 * @param gpuLayers layers to offload ({@code n_gpu_layers}), or {@link #AUTO}: every layer on a GPU build that
 *     found a device ({@link GpuBackend}), none on a CPU build
 * @param useMmap map the file instead of reading it (llama.cpp's default)
 * @param vocabOnly load only the vocabulary and metadata (no tensors); no context can be created then
 */
public record ModelOptions(int gpuLayers, boolean useMmap, boolean vocabOnly) {
  /** {@code gpuLayers}: all layers on a GPU build (llama.cpp v0.5.0's own default), 0 on a CPU build. */
  public static final int AUTO = -1;

  public ModelOptions {
    if (gpuLayers < AUTO) {
      throw new IllegalArgumentException("gpuLayers must be >= 0 (or AUTO), got " + gpuLayers);
    }
  }

  /** llama.cpp's defaults: every layer on the GPU when the build has one, mmap, full model. */
  public static ModelOptions defaults() {
    return new ModelOptions(AUTO, true, false);
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

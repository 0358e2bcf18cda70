package dev.memdec.natives.llama;

/**
 * Which build of the v0.5.0 runtime a process loads: the CPU build, or one with a GPU backend (runtime-v0.5.md,
 * gpu.md). Each is its own npm package of node-llama-cpp 3.22.1, with its own {@code libllama}/{@code libggml} pair
 * and backend library, unpacked into its own folder under {@code .cache/llama} and pinned by its own sha256 list;
 * the CPU backends and {@code libggml-base.so} are the same files in all three.
 *
 * <p>Read once, before the library is loaded: the system property {@value #PROPERTY} (the CLI's
 * {@code --gpu-backend} sets it), else the environment variable {@value #ENV}, else {@link #NONE}. A GPU backend
 * implies {@link RuntimeProfile#V0_5_0} when no runtime is named; b4916 is a CPU build only.
 */
public enum GpuBackend {
  /** The CPU build: {@code @node-llama-cpp/linux-x64}. */
  NONE("none", "@node-llama-cpp/linux-x64@3.22.1", "v0.5.0", ""),
  /** Vulkan: {@code @node-llama-cpp/linux-x64-vulkan}; needs {@code libvulkan.so.1} and a Vulkan driver. */
  VULKAN("vulkan", "@node-llama-cpp/linux-x64-vulkan@3.22.1", "v0.5.0-vulkan", "vulkan."),
  /** CUDA 13: {@code @node-llama-cpp/linux-x64-cuda}; needs the CUDA 13 runtime, cuBLAS and the NVIDIA driver. */
  CUDA("cuda", "@node-llama-cpp/linux-x64-cuda@3.22.1", "v0.5.0-cuda", "cuda.");

  /** System property naming the backend; the CLI's {@code --gpu-backend} sets it before any model is loaded. */
  public static final String PROPERTY = "memdec.gpu.backend";
  /** Environment variable naming the backend when the property is absent. */
  public static final String ENV = "MEMDEC_GPU_BACKEND";

  /** The build this process loaded; null until {@link LlamaLibrary} initializes. */
  private static volatile GpuBackend loaded;

  private final String id;
  private final String npmPackage;
  private final String folder;
  private final String libraryInfix;

  GpuBackend(String id, String npmPackage, String folder, String libraryInfix) {
    this.id = id;
    this.npmPackage = npmPackage;
    this.folder = folder;
    this.libraryInfix = libraryInfix;
  }

  /**
   * Chooses the build for this process (the CLI's {@code --gpu-backend}); a no-op when it is the one already
   * chosen.
   *
   * @throws IllegalStateException if this process already loaded another build (one per process)
   */
  public static void choose(GpuBackend backend) {
    GpuBackend now = loaded;
    if (now != null && now != backend) {
      throw new IllegalStateException("this process already runs llama.cpp's " + now + " build; --gpu-backend "
          + backend + " needs a new process");
    }
    System.setProperty(PROPERTY, backend.id);
  }

  static void markLoaded(GpuBackend backend) {
    loaded = backend;
  }

  /** The name users type: {@code none}, {@code vulkan} or {@code cuda}. */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return id;
  }

  /** The npm package (name@version) this build comes from. */
  public String npmPackage() {
    return npmPackage;
  }

  /** The folder name under {@code .cache/llama}. */
  String folder() {
    return folder;
  }

  /** {@code libllama.v0.5.0.so}, {@code libllama.vulkan.v0.5.0.so}, ... */
  String llamaLibrary() {
    return "libllama." + libraryInfix + "v0.5.0.so";
  }

  /** {@code libggml.v0.5.0.so}, {@code libggml.vulkan.v0.5.0.so}, ... */
  String ggmlLibrary() {
    return "libggml." + libraryInfix + "v0.5.0.so";
  }

  /** The GPU backend library ggml loads from the build's folder: {@code libggml-vulkan.so}, {@code libggml-cuda.so}. */
  String backendLibrary() {
    return "libggml-" + id + ".so";
  }

  /** The classpath resource holding this build's pinned {@code sha256  file} list. */
  String checksumResource() {
    return "llama-" + folder + ".sha256";
  }

  /** How to install this build, for messages. */
  String installHint() {
    return this == NONE ? "scripts/setup.sh" : "scripts/setup.sh --gpu-backend " + id;
  }

  /**
   * The backend named {@code name} ({@code none}, {@code vulkan} or {@code cuda}, case-insensitive).
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static GpuBackend parse(String name) {
    for (GpuBackend b : values()) {
      if (b.id.equalsIgnoreCase(name.trim())) {
        return b;
      }
    }
    throw new IllegalArgumentException("unknown GPU backend '" + name + "': expected none, vulkan or cuda");
  }

  /** The backend this process uses (property, then environment, then {@link #NONE}). */
  public static GpuBackend selected() {
    return ProcessSetting.read(PROPERTY, ENV, GpuBackend::parse, NONE);
  }
}

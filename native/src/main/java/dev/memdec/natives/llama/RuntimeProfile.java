package dev.memdec.natives.llama;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The llama.cpp build memdec runs on, one per process (design.md: two runtime profiles behind one Java API).
 *
 * <ul>
 *   <li>{@link #B4916}: the library inside java-llama.cpp 4.2.0, loaded through its loader (llama-abi.md).
 *   <li>{@link #V0_5_0}: llama.cpp v0.5.0 as the prebuilt CPU libraries of npm
 *       {@code @node-llama-cpp/linux-x64@3.22.1}, installed by {@code scripts/setup.sh} into
 *       {@code .cache/llama/v0.5.0} under the project (runtime-v0.5.md); every library is checked against the
 *       pinned sha256 list {@code llama-v0.5.0.sha256} before it is loaded.
 * </ul>
 *
 * <p>The profile is read once, before the library is loaded: the system property {@value #PROPERTY} (the CLI's
 * {@code --runtime} sets it), else the environment variable {@value #ENV}, else {@link #V0_5_0} when a
 * {@link GpuBackend} is chosen (only v0.5.0 has GPU builds), else {@link #DEFAULT}. v0.5.0's libraries are those of
 * the chosen {@link GpuBackend}'s package.
 */
public enum RuntimeProfile {
  B4916("b4916"),
  V0_5_0("v0.5.0");

  /** System property naming the profile; the CLI's {@code --runtime} flag sets it before any model is loaded. */
  public static final String PROPERTY = "memdec.runtime";
  /** Environment variable naming the profile when the property is absent. */
  public static final String ENV = "MEMDEC_RUNTIME";
  /**
   * System property overriding the folder of the v0.5.0 libraries (default {@code <memdec.home>/.cache/llama/v0.5.0},
   * or {@code v0.5.0-vulkan}, {@code v0.5.0-cuda} for a {@link GpuBackend}).
   */
  public static final String V050_DIR_PROPERTY = "memdec.llama.v050.dir";
  /** The profile used when neither the property nor the environment names one. */
  public static final RuntimeProfile DEFAULT = B4916;

  /** The profile whose library this process loaded; null until {@link LlamaLibrary} initializes. */
  private static volatile RuntimeProfile loaded;

  private final String id;
  private volatile Set<String> architectures;

  RuntimeProfile(String id) {
    this.id = id;
  }

  /**
   * Chooses the profile for this process (the CLI's {@code --runtime}); a no-op when it is the one already
   * chosen.
   *
   * @throws IllegalStateException if this process already loaded the other profile's library (one per process)
   */
  public static void choose(RuntimeProfile profile) {
    RuntimeProfile now = loaded;
    if (now != null && now != profile) {
      throw new IllegalStateException("this process already runs llama.cpp " + now + "; --runtime " + profile
          + " needs a new process");
    }
    System.setProperty(PROPERTY, profile.id);
  }

  static void markLoaded(RuntimeProfile profile) {
    loaded = profile;
  }

  /**
   * The {@code general.architecture} names this build's {@code llama_model_load} knows (resource
   * {@code llama-<id>.architectures}: b4916's read from the shipped library, v0.5.0's from the tag's
   * {@code src/llama-arch.cpp}).
   */
  public Set<String> architectures() {
    Set<String> a = architectures;
    if (a == null) {
      Set<String> names = new TreeSet<>();
      String resource = "llama-" + id + ".architectures";
      try (InputStream in = RuntimeProfile.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("resource " + resource + " missing from memdec-native");
        }
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line; (line = r.readLine()) != null; ) {
          if (!line.isBlank() && !line.startsWith("#")) {
            names.add(line.trim());
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException("cannot read " + resource, e);
      }
      architectures = a = Collections.unmodifiableSet(names);
    }
    return a;
  }

  /**
   * Refuses, by name, a file whose architecture this build cannot load (before llama.cpp sees it).
   *
   * @param what the file and its role, for the message
   * @throws IllegalArgumentException naming the architecture, the runtime, and the other runtime if it knows it
   */
  public void checkArchitecture(String architecture, String what) {
    if (architectures().contains(architecture)) {
      return;
    }
    String hint = "";
    for (RuntimeProfile other : values()) {
      if (other != this && other.architectures().contains(architecture)) {
        hint = "; llama.cpp " + other + " loads it (--runtime " + other + ")";
      }
    }
    throw new IllegalArgumentException(what + ": architecture '" + architecture + "' is not one llama.cpp " + id
        + " can load (it knows " + architectures().size() + " architectures)" + hint);
  }

  /** The name users type: {@code b4916} or {@code v0.5.0}. */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return id;
  }

  /**
   * The profile named {@code name} ({@code b4916} or {@code v0.5.0}, case-insensitive).
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static RuntimeProfile parse(String name) {
    for (RuntimeProfile p : values()) {
      if (p.id.equalsIgnoreCase(name.trim())) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown llama.cpp runtime '" + name + "': expected b4916 or v0.5.0");
  }

  /**
   * The profile this process uses (property, then environment, then v0.5.0 for a GPU backend or a {@link LocalBuild},
   * then {@link #DEFAULT}).
   */
  public static RuntimeProfile selected() {
    RuntimeProfile named = ProcessSetting.read(PROPERTY, ENV, RuntimeProfile::parse, null);
    if (named != null) {
      return named;
    }
    return impliedByBuild() ? V0_5_0 : DEFAULT;
  }

  /** A GPU backend or a build of one's own is chosen: both exist only for v0.5.0. */
  private static boolean impliedByBuild() {
    return GpuBackend.selected() != GpuBackend.NONE || LocalBuild.selectedDir() != null;
  }

  /**
   * Whether this process's build is still open to choose from the files it is about to load: no profile named
   * ({@value #PROPERTY}, {@value #ENV}), none implied (a {@link GpuBackend}, a {@link LocalBuild}), none loaded yet.
   */
  public static boolean undecided() {
    return loaded == null && ProcessSetting.read(PROPERTY, ENV, s -> s, null) == null && !impliedByBuild();
  }

  /** Whether the pinned v0.5.0 CPU build is installed (its folder exists; its sums are checked when it loads). */
  public static boolean v050Installed() {
    return Files.isDirectory(v050Dir(GpuBackend.NONE));
  }

  /**
   * The folder holding the v0.5.0 libraries of {@code backend}'s build: {@value #V050_DIR_PROPERTY}, else
   * {@code .cache/llama/<folder>} under {@code memdec.home}, else under the nearest folder above the working
   * directory that holds it.
   */
  static Path v050Dir(GpuBackend backend) {
    String dir = System.getProperty(V050_DIR_PROPERTY);
    if (dir != null) {
      return Path.of(dir);
    }
    String folder = backend.folder();
    String home = System.getProperty("memdec.home");
    if (home != null) {
      return Path.of(home, ".cache", "llama", folder);
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve(".cache/llama").resolve(folder))) {
        return p.resolve(".cache/llama").resolve(folder);
      }
    }
    return Path.of(".cache", "llama", folder).toAbsolutePath();
  }

  /** The pinned file name → sha256 list of {@code backend}'s package's libraries. */
  static Map<String, String> v050Checksums(GpuBackend backend) {
    Map<String, String> sums = new LinkedHashMap<>();
    String resource = backend.checksumResource();
    try (InputStream in = RuntimeProfile.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("resource " + resource + " missing from memdec-native");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
      for (String line; (line = r.readLine()) != null; ) {
        String[] f = line.trim().split("\\s+");
        if (f.length == 2) {
          sums.put(f[1], f[0]);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + resource, e);
    }
    return sums;
  }

  /**
   * Checks that {@code dir} holds every library of {@code backend}'s pinned list with its sha256.
   *
   * @throws IllegalStateException one line naming the folder or file, what was expected and how to fix it
   */
  static void verifyV050(Path dir, GpuBackend backend) {
    String what = "llama.cpp v0.5.0 runtime" + (backend == GpuBackend.NONE ? "" : " (" + backend + ")");
    String fix = backend.installHint();
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException(what + " not installed: " + dir + " does not exist (run " + fix
          + ", which installs npm " + backend.npmPackage() + " there)");
    }
    for (Map.Entry<String, String> e : v050Checksums(backend).entrySet()) {
      Path f = dir.resolve(e.getKey());
      if (!Files.isRegularFile(f)) {
        throw new IllegalStateException(what + " damaged: " + f + " is missing (delete " + dir + " and run " + fix
            + ")");
      }
      String got;
      try {
        got = Natives.sha256(f);
      } catch (IOException ex) {
        throw new IllegalStateException(what + ": cannot read " + f + ": " + ex.getMessage());
      }
      if (!got.equals(e.getValue().toLowerCase(Locale.ROOT))) {
        throw new IllegalStateException(what + " damaged: " + f + " has sha256 " + got + ", expected "
            + e.getValue() + " (delete " + dir + " and run " + fix + ")");
      }
    }
  }
}

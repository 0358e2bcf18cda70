package dev.memdec.natives.llama;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A build of llama.cpp v0.5.0 of the user's own ({@code --llama-dir DIR}): a folder of shared libraries and the
 * manifest {@value #MANIFEST} that {@code scripts/build-llama.sh} writes beside them. Used in place of a pinned npm
 * package, e.g. to get a {@code -DGGML_NATIVE=ON} CPU build (the prebuilt AVX2 backend prefills F32 at about half of
 * it) or a CUDA build for another toolkit or architecture. The manifest pins what was built (sha256 of each file),
 * so a damaged folder is refused like a damaged package; the version and struct-layout checks of {@link LlamaRuntime}
 * apply as to any v0.5.0 library.
 *
 * <p>Manifest: a first line {@value #MAGIC}, then one line per file, {@code load SHA256 NAME} for a library to open,
 * in dependency order (libllama last), or {@code file SHA256 NAME} for one only checked (a dynamic backend
 * that {@code ggml_backend_load_all_from_path} may load).
 */
public record LocalBuild(Path dir, List<String> load) {
  /** The manifest's file name. */
  public static final String MANIFEST = "memdec-build.txt";
  /** The manifest's first line. */
  public static final String MAGIC = "memdec-llama-build 1";
  /** System property naming the folder; the CLI's {@code --llama-dir} sets it. */
  public static final String PROPERTY = "memdec.llama.dir";
  /** Environment variable naming the folder when the property is absent. */
  public static final String ENV = "MEMDEC_LLAMA_DIR";

  /** The folder this process is asked to load llama.cpp from, or null for a pinned package. */
  public static Path selectedDir() {
    return ProcessSetting.read(PROPERTY, ENV, Path::of, null);
  }

  /**
   * Reads {@code dir}'s manifest and checks every file it names against its sha256.
   *
   * @throws IllegalStateException one line naming the folder, file or manifest line and what was expected
   */
  public static LocalBuild read(Path dir) {
    Path manifest = dir.resolve(MANIFEST);
    String what = "--llama-dir " + dir;
    if (!Files.isRegularFile(manifest)) {
      throw new IllegalStateException(what + ": no " + MANIFEST + " there; that file lists the build's libraries "
          + "(make the build with scripts/build-llama.sh)");
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(manifest, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(what + ": cannot read " + manifest + ": " + e.getMessage());
    }
    if (lines.isEmpty() || !lines.getFirst().equals(MAGIC)) {
      throw new IllegalStateException(manifest + ": line 1 must be '" + MAGIC + "'");
    }
    List<String> load = new ArrayList<>();
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\\s+");
      if (f.length != 3 || !(f[0].equals("load") || f[0].equals("file")) || !f[1].matches("[0-9a-f]{64}")
          || f[2].contains("/")) {
        throw new IllegalStateException(manifest + ": line " + (i + 1) + ": expected 'load|file SHA256 NAME' (a "
            + "64-digit lowercase hex sum and a file name in the folder), got '" + line + "'");
      }
      Path file = dir.resolve(f[2]);
      if (!Files.isRegularFile(file)) {
        throw new IllegalStateException(what + ": " + f[2] + " (line " + (i + 1) + " of " + MANIFEST
            + ") is missing");
      }
      String got;
      try {
        got = Natives.sha256(file);
      } catch (IOException e) {
        throw new IllegalStateException(what + ": cannot read " + file + ": " + e.getMessage());
      }
      if (!got.equals(f[1])) {
        throw new IllegalStateException(what + ": " + f[2] + " has sha256 " + got + ", but " + MANIFEST
            + " says " + f[1] + " (rebuild with scripts/build-llama.sh)");
      }
      if (f[0].equals("load")) {
        load.add(f[2]);   // a "file" line is only checked
      }
    }
    if (load.isEmpty()) {
      throw new IllegalStateException(manifest + ": names no library to load ('load SHA256 NAME' lines)");
    }
    return new LocalBuild(dir, List.copyOf(load));
  }
}

package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One {@code memdec} command in a JVM of its own, entered through {@code Main.main} as {@code ./memdec} does: the
 * llama.cpp build is fixed per process, so every case about choosing it needs a fresh one. The child sees none of
 * {@code MEMDEC_RUNTIME}, {@code MEMDEC_GPU_BACKEND}, {@code MEMDEC_LLAMA_DIR} unless {@code env} sets them.
 *
 * @param err standard error without the JVM's and java-llama.cpp's own notices
 */
record FreshJvm(int code, String out, String err) {

  static FreshJvm run(Path dir, Map<String, String> env, List<String> jvm, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
        "-Dde.kherud.llama.tmpdir=" + System.getProperty("java.io.tmpdir"),
        "-Dmemdec.home=" + System.getProperty("memdec.home", ".")));
    cmd.addAll(jvm);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.memdec.plugin.cli.Main"));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile()).redirectOutput(out.toFile());
    pb.environment().remove("MEMDEC_RUNTIME");
    pb.environment().remove("MEMDEC_GPU_BACKEND");
    pb.environment().remove("MEMDEC_LLAMA_DIR");
    pb.environment().putAll(env);
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "memdec " + String.join(" ", args) + " did not end in 120 s");
    String errText = String.join("\n", Files.readString(err).lines()
        .filter(l -> !l.startsWith("WARNING") && !l.startsWith("Extracted")).toList());
    return new FreshJvm(p.exitValue(), Files.readString(out), errText);
  }
}

package dev.memdec.e2e;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.gpt2.Gpt2Tensors;
import dev.memdec.converter.gpt2.RandomGpt2Weights;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The tiny random-weight GPT-2 (2 layers, 64 embd, 4 heads, ctx 128, the real 50257-token vocabulary, F32)
 * that the model-based tests share, written once per test JVM by the project's own exporter. It lives under
 * target/e2e-models, not in java.io.tmpdir, whose llama* files java-llama.cpp's loader deletes.
 */
final class TinyGpt2 {
  static final Gpt2Config CONFIG = Gpt2Config.of(2, 64, 4, 128, 50257);
  static final long SEED = 20251123L;
  static final RandomGpt2Weights WEIGHTS = new RandomGpt2Weights(CONFIG, SEED);
  private static Path path;

  private TinyGpt2() {}

  static synchronized Path path() {
    if (path == null) {
      try {
        Path dir = Files.createDirectories(Path.of("target", "e2e-models"));
        Path p = dir.resolve("tiny-gpt2-2x64-f32.gguf");
        Gpt2GgufExporter.write(CONFIG, WEIGHTS, Gpt2Tokenizer.vocabulary(), GgmlType.F32,
            Map.of("general.name", "memdec e2e tiny gpt2"), p);
        path = p.toAbsolutePath();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return path;
  }

  /** The output matrix, row-major [vocab][embd]. */
  static float[] outputMatrix() {
    return WEIGHTS.load(Gpt2Tensors.OUTPUT, (long) CONFIG.vocab() * CONFIG.embd());
  }

  /** The first {@code lines} lines of the Moby-Dick fixture. */
  static String text(int lines) {
    try (InputStream in = TinyGpt2.class.getResourceAsStream("/text/moby-dick-3000-lines.txt")) {
      String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return String.join("\n", all.lines().limit(lines).toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

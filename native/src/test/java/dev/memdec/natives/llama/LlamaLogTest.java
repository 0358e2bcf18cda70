package dev.memdec.natives.llama;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaLogTest {
  @Test
  void llamaCppErrorsReachSystemLoggerAndAFailedLoadIsAnIOException(@TempDir Path dir) throws Exception {
    Logger jul = Logger.getLogger("dev.memdec.natives.llama.llama.cpp");
    List<LogRecord> records = new CopyOnWriteArrayList<>();
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord r) {
        records.add(r);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    jul.addHandler(handler);
    try {
      // A header llama.cpp itself refuses cleanly (GGUF version 99); untrusted files are validated in Java first.
      Path bad = dir.resolve("version99.gguf");
      Files.write(bad, new byte[] {'G', 'G', 'U', 'F', 99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
      IOException e = assertThrows(IOException.class, () -> LlamaModel.load(bad, ModelOptions.defaults()));
      assertTrue(e.getMessage().contains("version99.gguf"), e.getMessage());
      assertTrue(records.stream().anyMatch(r -> r.getLevel() == Level.SEVERE
          && r.getMessage().contains("failed to load model")), "log records: " + records.size());
      assertTrue(records.stream().noneMatch(r -> r.getMessage().endsWith("\n")), "lines are split at newlines");
    } finally {
      jul.removeHandler(handler);
    }
  }
}

package dev.memdec.natives.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Routes llama.cpp's log (process-global {@code llama_log_set}) to the {@code System.Logger} named
 * {@code dev.memdec.natives.llama.llama.cpp}. Registered once per process by {@link LlamaRuntime#get()}; the
 * upcall stub lives in the global arena because llama.cpp may log at any time until the process exits.
 *
 * <p>Levels: llama.cpp DEBUG → TRACE, INFO → DEBUG (model-loading chatter, hundreds of lines), WARN → WARNING,
 * ERROR → ERROR. llama.cpp writes lines in pieces (level 5 = continuation of the previous level), so text is
 * buffered until a newline. java-llama.cpp's {@code LlamaModel.setLogger} uses the same global hook: whichever
 * registers last receives the log.
 */
@SuppressWarnings("restricted") // calling native code is this class's purpose (native access is enabled)
final class LlamaLog {
  private static final System.Logger LOG = System.getLogger("dev.memdec.natives.llama.llama.cpp");
  private static final StringBuilder PENDING = new StringBuilder();
  private static int pendingLevel = 2;

  private LlamaLog() {}

  static void install() {
    install(LlamaLibrary.LOG_SET);
  }

  /**
   * Registers the log through {@code llama_log_set} ({@code logSet}); v0.5.0's loading calls this before it loads
   * the backends, so that their start-up lines ({@code load_backend: ...}, the GPU devices found) reach the logger
   * instead of standard error.
   */
  static void install(MethodHandle logSet) {
    try {
      MemorySegment stub = LlamaLibrary.LINKER.upcallStub(
          MethodHandles.lookup().findStatic(LlamaLog.class, "log",
              MethodType.methodType(void.class, int.class, MemorySegment.class, MemorySegment.class)),
          FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, ADDRESS), Arena.global());
      logSet.invokeExact(stub, MemorySegment.NULL);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /** The upcall target: never throws (an exception escaping an upcall kills the JVM). */
  private static void log(int level, MemorySegment text, MemorySegment userData) {
    try {
      String s = Natives.string(text);
      if (s == null) {
        return;
      }
      synchronized (PENDING) {
        if (level != 5) {
          if (!PENDING.isEmpty()) {
            emit(pendingLevel, PENDING.toString());
            PENDING.setLength(0);
          }
          pendingLevel = level;
        }
        PENDING.append(s);
        int nl;
        while ((nl = PENDING.indexOf("\n")) >= 0) {
          emit(pendingLevel, PENDING.substring(0, nl));
          PENDING.delete(0, nl + 1);
        }
      }
    } catch (Throwable ignored) {
      // Logging must never take the process down.
    }
  }

  private static void emit(int level, String line) {
    if (!line.isBlank()) {
      LOG.log(switch (level) {
        case 1 -> System.Logger.Level.TRACE;
        case 3 -> System.Logger.Level.WARNING;
        case 4 -> System.Logger.Level.ERROR;
        default -> System.Logger.Level.DEBUG;
      }, line);
    }
  }
}

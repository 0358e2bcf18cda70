package dev.memdec.natives.llama;

import java.lang.foreign.MemorySegment;

/** Small helpers shared by the classes that call native code. */
@SuppressWarnings("restricted") // calling native code is this class's purpose (native access is enabled)
final class Natives {
  private Natives() {}

  /**
   * {@code invokeExact} declares {@code Throwable}; our handles throw only unchecked exceptions and errors,
   * which this passes on unchanged. Anything else is wrapped.
   */
  static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IllegalStateException("native call failed", t);
  }

  /** The NUL-terminated UTF-8 string at {@code p}, or null when {@code p} is NULL. */
  static String string(MemorySegment p) {
    return p.address() == 0 ? null : p.reinterpret(Long.MAX_VALUE).getString(0);
  }

  /** The lowercase hex SHA-256 of {@code file}'s bytes: the check of every llama.cpp library before it is loaded. */
  static String sha256(java.nio.file.Path file) throws java.io.IOException {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
          .digest(java.nio.file.Files.readAllBytes(file)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

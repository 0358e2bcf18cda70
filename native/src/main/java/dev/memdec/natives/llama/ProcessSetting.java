package dev.memdec.natives.llama;

import java.util.function.Function;

/** How the runtime's per-process choices are read: a system property, else an environment variable. */
final class ProcessSetting {
  private ProcessSetting() {}

  /**
   * {@code parse} of the system property {@code property}, else of the environment variable {@code env}, else
   * {@code otherwise}; blank values count as absent.
   *
   * @throws IllegalArgumentException from {@code parse}, prefixed with the variable's name for an environment value
   */
  static <T> T read(String property, String env, Function<String, T> parse, T otherwise) {
    String p = System.getProperty(property);
    if (p != null && !p.isBlank()) {
      return parse.apply(p);
    }
    String e = System.getenv(env);
    if (e != null && !e.isBlank()) {
      try {
        return parse.apply(e);
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(env + ": " + ex.getMessage());
      }
    }
    return otherwise;
  }
}

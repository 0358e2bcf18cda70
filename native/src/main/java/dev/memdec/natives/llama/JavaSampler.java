package dev.memdec.natives.llama;

/**
 * A sampler written in Java, run by llama.cpp inside a {@link SamplerChain} through upcalls.
 *
 * <p>Methods run on the thread that called {@link SamplerChain#sample}. An exception thrown here never reaches
 * native code: the chain records it, leaves the candidates as they are, and rethrows it from {@code sample}.
 */
public interface JavaSampler {
  /** A short name, reported by llama.cpp's {@code llama_sampler_name}. */
  default String name() {
    return getClass().getSimpleName();
  }

  /**
   * Changes the candidates: logits, probabilities, the selected index, or their order. The view is valid only
   * during this call.
   */
  void apply(TokenDataArray candidates);

  /** Called with every token the chain accepts (the sampled token, or one fed through {@link SamplerChain#accept}). */
  default void accept(int token) {}

  /** Called by {@link SamplerChain#reset()}. */
  default void reset() {}
}

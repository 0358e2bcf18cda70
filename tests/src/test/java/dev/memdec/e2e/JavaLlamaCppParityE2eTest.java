package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.ModelParameters;
import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.InferenceLock;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import dev.memdec.natives.llama.SamplerChain;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/**
 * java-llama.cpp's own completion API and memdec's FFM greedy loop, on the same model and prompt in the same
 * JVM (one library instance), must generate the same text. java-llama.cpp's calls run under the inference
 * lock, as everything that decodes in this process must. (Its LlamaModel keeps a non-daemon thread alive, so a
 * plain {@code main} would need System.exit; surefire's fork exits on its own. Its loader deletes llama* files
 * in java.io.tmpdir, which is why the model lives under target/e2e-models.)
 */
class JavaLlamaCppParityE2eTest {
  private static final int N_PREDICT = 24;
  private static final String PROMPT = "Call me Ishmael. Some years ago, never mind how long precisely";

  /** Greedy (temperature 0) completion, optionally after llama.cpp's repetition penalty over the last 64 tokens. */
  private static void assertSameCompletion(float repeatPenalty) throws Exception {
    String path = TinyGpt2.path().toString();
    String theirs;
    int[] theirPrompt;
    ReentrantLock lock = InferenceLock.lock();
    lock.lock();
    try (de.kherud.llama.LlamaModel jllama = new de.kherud.llama.LlamaModel(new ModelParameters().setModel(path)
        .setGpuLayers(0).setCtxSize(128).setThreads(2).setThreadsBatch(2))) {
      theirPrompt = jllama.encode(PROMPT);
      theirs = jllama.complete(new InferenceParameters(PROMPT).setTemperature(0f).setNPredict(N_PREDICT)
          .setRepeatPenalty(repeatPenalty).setSeed(1).setCachePrompt(false));
    } finally {
      lock.unlock();
    }

    int[] generated = new int[N_PREDICT];
    String ours;
    try (LlamaModel model = LlamaModel.load(TinyGpt2.path(), ModelOptions.defaults());
         LlamaContext c = LlamaContext.create(model, ContextOptions.defaults().withNCtx(128).withThreads(2, 2));
         SamplerChain chain = SamplerChain.builder().penalties(64, repeatPenalty, 0f, 0f).greedy().build()) {
      int[] prompt = model.vocab().tokenize(PROMPT, false, false);
      assertArrayEquals(theirPrompt, prompt);
      for (int t : prompt) {
        chain.accept(t); // llama.cpp's server counts prompt tokens in the penalty window too
      }
      c.decode(prompt, 0, false);
      for (int i = 0; i < N_PREDICT; i++) {
        generated[i] = chain.sample(c, -1);
        c.decode(new int[] {generated[i]}, c.nPast(), false);
      }
      ours = model.vocab().detokenize(generated);
    }
    System.out.println("repeat penalty " + repeatPenalty + ": java-llama.cpp: " + theirs.replace("\n", "\\n"));
    System.out.println("repeat penalty " + repeatPenalty + ": memdec FFM:     " + ours.replace("\n", "\\n") + " "
        + Arrays.toString(generated));
    assertEquals(theirs, ours);
  }

  @Test
  void greedyCompletionMatchesJavaLlamaCpp() throws Exception {
    assertSameCompletion(1.0f);
  }

  @Test
  void greedyCompletionWithRepetitionPenaltyMatchesJavaLlamaCpp() throws Exception {
    assertSameCompletion(1.5f);
  }
}

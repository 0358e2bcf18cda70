package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import dev.memdec.natives.llama.SamplerChain;
import dev.memdec.natives.llama.Vocab;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Model metadata, the vocabulary and grammar sampling through the FFM binding, on the tiny exported GPT-2. */
class LlamaModelE2eTest {
  private static LlamaModel model;

  @BeforeAll
  static void load() throws Exception {
    model = LlamaModel.load(TinyGpt2.path(), ModelOptions.defaults());
  }

  @AfterAll
  static void free() {
    model.close();
  }

  @Test
  void reportsTheShapeAndMetadataItWasWrittenWith() {
    assertEquals(64, model.nEmbd());
    assertEquals(2, model.nLayer());
    assertEquals(4, model.nHead());
    assertEquals(128, model.nCtxTrain());
    // llama.cpp counts the tied output matrix, which the file stores, a second time.
    assertEquals(TinyGpt2.CONFIG.parameterCount() + 50257L * 64, model.nParams());
    assertEquals(4 * model.nParams(), model.sizeBytes()); // all F32
    assertEquals(Optional.of("gpt2"), model.meta("general.architecture"));
    assertEquals(Optional.of("memdec e2e tiny gpt2"), model.meta("general.name"));
    assertEquals(Optional.empty(), model.meta("no.such.key"));
    assertTrue(model.description().startsWith("gpt2"), model.description());
    assertEquals(Optional.empty(), model.chatTemplate());
  }

  @Test
  void vocabularyIsGpt2s() {
    Vocab v = model.vocab();
    assertEquals(50257, v.size());
    assertEquals(Vocab.TYPE_BPE, v.type());
    assertEquals(50256, v.eos());
    assertTrue(v.isEog(50256));
    assertFalse(v.isEog(464));
    assertEquals(Vocab.ATTR_CONTROL, v.attr(50256) & Vocab.ATTR_CONTROL);
    assertEquals(Vocab.ATTR_NORMAL, v.attr(464) & Vocab.ATTR_NORMAL);
    assertEquals("ĠThe", v.text(383));
    assertEquals(" The", v.piece(383));
    assertEquals("<|endoftext|>", v.piece(50256));
    assertThrows(IllegalArgumentException.class, () -> v.text(50257));
    assertThrows(IllegalArgumentException.class, () -> v.isEog(-1));
  }

  @Test
  void tokenizationMatchesTheJavaTokenizerAndRoundTrips() {
    Vocab v = model.vocab();
    String text = TinyGpt2.text(400);
    int[] llama = v.tokenize(text, false, false);
    assertArrayEquals(Gpt2Tokenizer.get().encode(text), llama);
    assertEquals(text, v.detokenize(llama));
    StringBuilder pieces = new StringBuilder();
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    for (int t : llama) {
      bytes.writeBytes(v.pieceBytes(t));
    }
    pieces.append(bytes.toString(StandardCharsets.UTF_8));
    assertEquals(text, pieces.toString());
    assertArrayEquals(new int[] {50256}, v.tokenize("<|endoftext|>", false, true));
    assertTrue(v.tokenize("<|endoftext|>", false, false).length > 1);
    assertArrayEquals(new int[0], v.tokenize("", false, false));
  }

  @Test
  void grammarConstrainsSamplingAndABadGrammarIsAClearError() {
    try (LlamaContext c = LlamaContext.create(model, ContextOptions.defaults().withNCtx(64));
         SamplerChain chain = SamplerChain.builder().grammar(model.vocab(), "root ::= [0-9]+", "root").greedy()
             .build()) {
      c.decode(model.vocab().tokenize("The number is", false, false), 0, false);
      int t = chain.sample(c, -1);
      assertTrue(model.vocab().piece(t).matches("[0-9]+"), "grammar let through '" + model.vocab().piece(t) + "'");
      IllegalArgumentException wrongWidth = assertThrows(IllegalArgumentException.class,
          () -> chain.sample(new float[50258]));
      assertTrue(wrongWidth.getMessage().contains("vocabulary of 50257"), wrongWidth.getMessage());
    }
    IllegalArgumentException undefinedRule = assertThrows(IllegalArgumentException.class,
        () -> SamplerChain.builder().grammar(model.vocab(), "root ::= digits", "root"));
    assertTrue(undefinedRule.getMessage().contains("grammar does not parse"), undefinedRule.getMessage());
    IllegalArgumentException syntax = assertThrows(IllegalArgumentException.class,
        () -> SamplerChain.builder().grammar(model.vocab(), "root ::= [0-9", "root"));
    assertTrue(syntax.getMessage().contains("root ::= [0-9"), syntax.getMessage());
    IllegalArgumentException noRoot = assertThrows(IllegalArgumentException.class,
        () -> SamplerChain.builder().grammar(model.vocab(), "start ::= [0-9]+", "root"));
    assertTrue(noRoot.getMessage().contains("no rule 'root'"), noRoot.getMessage());
  }

  @Test
  void llamaCppLogReachesSystemLoggerLineByLine() throws Exception {
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
    Level before = jul.getLevel();
    jul.setLevel(Level.ALL);
    jul.addHandler(handler);
    try (LlamaModel m = LlamaModel.load(TinyGpt2.path(), ModelOptions.defaults().withVocabOnly(true))) {
      // llama.cpp INFO (loader chatter) arrives as DEBUG, i.e. java.util.logging FINE.
      assertTrue(records.stream().anyMatch(r -> r.getLevel() == Level.FINE
          && r.getMessage().contains("llama_model_loader")), records.size() + " records");
      records.clear();
      try (LlamaContext c = LlamaContext.create(model, ContextOptions.defaults().withNCtx(64))) {
        // v0.5.0 pads n_ctx to a multiple of 256 (llama-context.cpp of the tag), so it warns the other way round
        boolean v050 = dev.memdec.natives.llama.LlamaRuntime.get().profile()
            == dev.memdec.natives.llama.RuntimeProfile.V0_5_0;
        String text = v050 ? "n_ctx_seq (256) > n_ctx_train (128)" : "n_ctx_per_seq (64) < n_ctx_train (128)";
        assertTrue(records.stream().anyMatch(r -> r.getLevel() == Level.WARNING && r.getMessage().contains(text)),
            records.size() + " records");
      }
      assertTrue(records.stream().noneMatch(r -> r.getMessage().contains("\n")), "records are single lines");
    } finally {
      jul.removeHandler(handler);
      jul.setLevel(before);
    }
  }

  @Test
  void aModelWithOpenContextsRefusesToClose() throws Exception {
    try (LlamaModel m = LlamaModel.load(TinyGpt2.path(), ModelOptions.defaults().withMmap(false))) {
      LlamaContext c = LlamaContext.create(m, ContextOptions.defaults().withNCtx(32));
      IllegalStateException e = assertThrows(IllegalStateException.class, m::close);
      assertTrue(e.getMessage().contains("open context"), e.getMessage());
      c.close();
    }
  }

  @Test
  void vocabOnlyModelTokenizesButHasNoContext() throws Exception {
    try (LlamaModel m = LlamaModel.load(TinyGpt2.path(), ModelOptions.defaults().withVocabOnly(true))) {
      assertArrayEquals(model.vocab().tokenize("Call me Ishmael.", false, false),
          m.vocab().tokenize("Call me Ishmael.", false, false));
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> LlamaContext.create(m, ContextOptions.defaults()));
      assertTrue(e.getMessage().contains("vocab-only"), e.getMessage());
    }
  }
}

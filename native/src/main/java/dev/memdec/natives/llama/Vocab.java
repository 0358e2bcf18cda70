package dev.memdec.natives.llama;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * A model's vocabulary ({@code const llama_vocab*}), valid while its {@link LlamaModel} is open.
 *
 * <p>Token ids are checked in Java: llama.cpp indexes its token table with {@code .at()}, and the C++
 * exception an out-of-range id throws cannot cross the C ABI, so it would abort the JVM.
 */
@SuppressWarnings("restricted") // calling native code is this class's purpose (native access is enabled)
public final class Vocab {
  /** {@code llama_token_attr} bits (llama-abi §4.2). */
  public static final int ATTR_UNKNOWN = 1, ATTR_UNUSED = 2, ATTR_NORMAL = 4, ATTR_CONTROL = 8,
      ATTR_USER_DEFINED = 16, ATTR_BYTE = 32;
  /** {@code llama_vocab_type} values. */
  public static final int TYPE_NONE = 0, TYPE_SPM = 1, TYPE_BPE = 2, TYPE_WPM = 3, TYPE_UGM = 4, TYPE_RWKV = 5;

  private final LlamaModel model;
  private final MemorySegment handle;
  private final int size;

  Vocab(LlamaModel model, MemorySegment handle) {
    this.model = model;
    this.handle = handle;
    this.size = intCall(LlamaLibrary.VOCAB_N_TOKENS);
  }

  /** Number of tokens (the logits' length). */
  public int size() {
    return size;
  }

  /** {@code llama_vocab_type}: {@link #TYPE_BPE} for gpt2. */
  public int type() {
    return intCall(LlamaLibrary.VOCAB_TYPE);
  }

  /** Beginning-of-sequence token, or -1. */
  public int bos() {
    return intCall(LlamaLibrary.VOCAB_BOS);
  }

  /** End-of-sequence token, or -1. */
  public int eos() {
    return intCall(LlamaLibrary.VOCAB_EOS);
  }

  /** End-of-turn token, or -1. */
  public int eot() {
    return intCall(LlamaLibrary.VOCAB_EOT);
  }

  /** Whether tokenizing with {@code addSpecial} prepends BOS. */
  public boolean addsBos() {
    try {
      return (boolean) LlamaLibrary.VOCAB_ADD_BOS.invokeExact(handle());
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /** Whether generation should stop at this token (EOS, EOT, ...). */
  public boolean isEog(int token) {
    checkToken(token);
    try {
      return (boolean) LlamaLibrary.VOCAB_IS_EOG.invokeExact(handle(), token);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /** The raw vocabulary entry (for BPE in GPT-2's byte-to-unicode form, e.g. {@code "Ġthe"}). */
  public String text(int token) {
    checkToken(token);
    try {
      return Natives.string((MemorySegment) LlamaLibrary.VOCAB_GET_TEXT.invokeExact(handle(), token));
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /** The {@code llama_token_attr} bit mask ({@link #ATTR_NORMAL}, {@link #ATTR_CONTROL}, ...). */
  public int attr(int token) {
    checkToken(token);
    try {
      return (int) LlamaLibrary.VOCAB_GET_ATTR.invokeExact(handle(), token);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /**
   * Tokenizes UTF-8 text.
   *
   * @param addSpecial add BOS/EOS as the model's metadata asks
   * @param parseSpecial recognise special-token text such as {@code <|endoftext|>} as one token
   */
  public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    MemorySegment v = handle();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment cText = arena.allocate(utf8.length + 1L);
      MemorySegment.copy(utf8, 0, cText, JAVA_BYTE, 0, utf8.length);
      int capacity = utf8.length + 2;
      MemorySegment out = arena.allocate(JAVA_INT, capacity);
      int n = (int) LlamaLibrary.TOKENIZE.invokeExact(v, cText, utf8.length, out, capacity, addSpecial, parseSpecial);
      if (n < 0) { // negative-size protocol: -n tokens are needed
        capacity = -n;
        out = arena.allocate(JAVA_INT, capacity);
        n = (int) LlamaLibrary.TOKENIZE.invokeExact(v, cText, utf8.length, out, capacity, addSpecial, parseSpecial);
      }
      if (n < 0) {
        throw new IllegalStateException("llama_tokenize failed (" + n + ") for " + utf8.length + " bytes");
      }
      return out.asSlice(0, (long) n * Integer.BYTES).toArray(JAVA_INT);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /**
   * Joins tokens back into text ({@code llama_detokenize}), with special tokens rendered as their text and
   * nothing removed. Bytes that do not form complete UTF-8 become U+FFFD.
   */
  public String detokenize(int[] tokens) {
    for (int t : tokens) {
      checkToken(t);
    }
    MemorySegment v = handle();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment cTokens = arena.allocateFrom(JAVA_INT, tokens);
      int capacity = tokens.length * 8 + 16;
      MemorySegment buf = arena.allocate(capacity);
      int n = (int) LlamaLibrary.DETOKENIZE.invokeExact(v, cTokens, tokens.length, buf, capacity, false, true);
      if (n < 0) {
        capacity = -n;
        buf = arena.allocate(capacity);
        n = (int) LlamaLibrary.DETOKENIZE.invokeExact(v, cTokens, tokens.length, buf, capacity, false, true);
      }
      if (n < 0) {
        throw new IllegalStateException("llama_detokenize failed (" + n + ") for " + tokens.length + " tokens");
      }
      return new String(buf.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /**
   * The bytes a token stands for ({@code llama_token_to_piece}, special tokens rendered). A piece can be part
   * of a multi-byte UTF-8 character, so streaming output should join bytes before decoding them.
   */
  public byte[] pieceBytes(int token) {
    checkToken(token);
    MemorySegment v = handle();
    try (Arena arena = Arena.ofConfined()) {
      int capacity = 64;
      MemorySegment buf = arena.allocate(capacity);
      int n = (int) LlamaLibrary.TOKEN_TO_PIECE.invokeExact(v, token, buf, capacity, 0, true);
      if (n < 0) {
        capacity = -n;
        buf = arena.allocate(capacity);
        n = (int) LlamaLibrary.TOKEN_TO_PIECE.invokeExact(v, token, buf, capacity, 0, true);
      }
      if (n < 0) {
        throw new IllegalStateException("llama_token_to_piece failed (" + n + ") for token " + token);
      }
      return buf.asSlice(0, n).toArray(JAVA_BYTE);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /** {@link #pieceBytes} decoded as UTF-8 (U+FFFD for a partial character). */
  public String piece(int token) {
    return new String(pieceBytes(token), StandardCharsets.UTF_8);
  }

  /** Throws unless {@code 0 <= token < size()}. */
  public void checkToken(int token) {
    if (token < 0 || token >= size) {
      throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + size + ")");
    }
  }

  MemorySegment handle() {
    model.handle(); // throws once the model is closed
    return handle;
  }

  private int intCall(MethodHandle h) {
    try {
      return (int) h.invokeExact(handle());
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }
}

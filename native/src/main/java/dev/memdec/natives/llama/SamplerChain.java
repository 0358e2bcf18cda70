package dev.memdec.natives.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A llama.cpp sampler chain ({@code llama_sampler_chain_*}): samplers applied in order to a candidate array
 * built from one row of logits; the last one must select a token ({@link Builder#greedy()} or
 * {@link Builder#dist(int)}). Java samplers ({@link JavaSampler}) run inside the chain through upcalls.
 *
 * <pre>{@code
 * try (SamplerChain chain = SamplerChain.builder().topK(40).temp(0.8f).dist(42).build()) {
 *   int token = chain.sample(context, -1);
 * }
 * }</pre>
 * Not thread-safe. The chain owns its samplers, their upcall stubs and its candidate buffer until
 * {@link #close()}.
 */
@SuppressWarnings("restricted") // calling native code is this class's purpose (native access is enabled)
public final class SamplerChain implements AutoCloseable {
  private static final long ENTRY = LlamaLibrary.TOKEN_DATA.byteSize();
  private static final long LOGIT = LlamaLibrary.offset(LlamaLibrary.TOKEN_DATA, "logit");
  private static final long P = LlamaLibrary.offset(LlamaLibrary.TOKEN_DATA, "p");
  private static final long A_DATA = LlamaLibrary.offset(LlamaLibrary.TOKEN_DATA_ARRAY, "data");
  private static final long A_SIZE = LlamaLibrary.offset(LlamaLibrary.TOKEN_DATA_ARRAY, "size");
  private static final long A_SELECTED = LlamaLibrary.offset(LlamaLibrary.TOKEN_DATA_ARRAY, "selected");
  private static final long A_SORTED = LlamaLibrary.offset(LlamaLibrary.TOKEN_DATA_ARRAY, "sorted");

  private final Arena arena;
  private final MemorySegment chain;
  private final List<String> names;
  private final int grammarVocab;
  private final MemorySegment candidates;
  private MemorySegment entries = MemorySegment.NULL;
  private Throwable upcallError;
  private float[] logitsBuffer = new float[0];
  private boolean closed;

  private SamplerChain(Arena arena, MemorySegment chain, List<String> names, int grammarVocab) {
    this.arena = arena;
    this.chain = chain;
    this.names = List.copyOf(names);
    this.grammarVocab = grammarVocab;
    this.candidates = arena.allocate(LlamaLibrary.TOKEN_DATA_ARRAY);
  }

  public static Builder builder() {
    LlamaRuntime.get();
    return new Builder();
  }

  /** The samplers in order, e.g. {@code [top-k(40), temp(0.8), dist(42)]}. */
  public List<String> samplers() {
    return names;
  }

  /**
   * Samples from output row {@code index} of the context's last decode (-1: the last token), then accepts the
   * token (as {@code llama_sampler_sample} does, so do not accept it again).
   */
  public int sample(LlamaContext context, int index) {
    if (logitsBuffer.length != context.nVocab()) {
      logitsBuffer = new float[context.nVocab()];
    }
    context.copyLogits(index, logitsBuffer);
    return sample(logitsBuffer);
  }

  /**
   * Samples from a row of logits (token i has logit {@code logits[i]}) and accepts the result. This is how a
   * caller samples from logits it computed itself, e.g. a mixture of two models.
   *
   * @throws IllegalStateException if the chain selected nothing, or a Java sampler threw (its exception is
   *     the cause)
   */
  public int sample(float[] logits) {
    checkOpen();
    int n = logits.length;
    if (n == 0) {
      throw new IllegalArgumentException("no logits to sample from");
    }
    if (grammarVocab >= 0 && n != grammarVocab) {
      // The grammar looks every candidate id up in its vocabulary; an id past it would abort the process.
      throw new IllegalArgumentException(n + " logits for a chain whose grammar uses a vocabulary of "
          + grammarVocab + " tokens");
    }
    if (entries.byteSize() < n * ENTRY) {
      entries = arena.allocate(n * ENTRY, 4);
    }
    for (int i = 0; i < n; i++) {
      long at = i * ENTRY;
      entries.set(JAVA_INT, at, i);
      entries.set(JAVA_FLOAT, at + LOGIT, logits[i]);
      entries.set(JAVA_FLOAT, at + P, 0f);
    }
    candidates.set(ADDRESS, A_DATA, entries);
    candidates.set(JAVA_LONG, A_SIZE, n);
    candidates.set(JAVA_LONG, A_SELECTED, -1L);
    candidates.set(JAVA_BOOLEAN, A_SORTED, false);
    try {
      upcallError = null;
      LlamaLibrary.SAMPLER_APPLY.invokeExact(chain, candidates);
      rethrowUpcallError();
      long size = candidates.get(JAVA_LONG, A_SIZE);
      long selected = candidates.get(JAVA_LONG, A_SELECTED);
      if (selected < 0 || selected >= size) {
        throw new IllegalStateException("sampler chain " + names + " selected no token (index " + selected
            + " of " + size + "); end it with greedy() or dist(seed)");
      }
      MemorySegment data = candidates.get(ADDRESS, A_DATA).reinterpret(size * ENTRY);
      int token = data.get(JAVA_INT, selected * ENTRY);
      LlamaLibrary.SAMPLER_ACCEPT.invokeExact(chain, token);
      rethrowUpcallError();
      return token;
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /** Tells every sampler about a token, e.g. prompt tokens that penalties should count. */
  public void accept(int token) {
    checkOpen();
    try {
      upcallError = null;
      LlamaLibrary.SAMPLER_ACCEPT.invokeExact(chain, token);
      rethrowUpcallError();
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  /** Resets every sampler's state (penalty history, grammar, RNG stays seeded as it is). */
  public void reset() {
    checkOpen();
    try {
      upcallError = null;
      LlamaLibrary.SAMPLER_RESET.invokeExact(chain);
      rethrowUpcallError();
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    }
  }

  private void rethrowUpcallError() {
    if (upcallError != null) {
      Throwable e = upcallError;
      upcallError = null;
      throw new IllegalStateException("a Java sampler in " + names + " failed: " + e, e);
    }
  }

  /** Frees the chain and its samplers, then the upcall stubs. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      LlamaLibrary.SAMPLER_FREE.invokeExact(chain);
    } catch (Throwable t) {
      throw Natives.rethrow(t);
    } finally {
      arena.close();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("sampler chain is closed");
    }
  }

  /** Adds samplers in order; each native sampler is created when added. */
  public static final class Builder {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment chain;
    private final List<String> names = new ArrayList<>();
    private final List<Bridge> bridges = new ArrayList<>();
    private int grammarVocab = -1;
    private boolean built;

    private Builder() {
      try {
        MemorySegment params = arena.allocate(LlamaLibrary.CHAIN_PARAMS);
        params.set(JAVA_BOOLEAN, 0, true); // no_perf
        chain = (MemorySegment) LlamaLibrary.SAMPLER_CHAIN_INIT.invokeExact(params);
      } catch (Throwable t) {
        arena.close();
        throw Natives.rethrow(t);
      }
    }

    /** Picks the highest logit. */
    public Builder greedy() {
      return add("greedy", call(LlamaLibrary.SAMPLER_INIT_GREEDY));
    }

    /** Draws from the softmax of the current candidates with a seeded RNG (0xFFFFFFFF = random seed). */
    public Builder dist(int seed) {
      try {
        return add("dist(" + Integer.toUnsignedString(seed) + ")",
            (MemorySegment) LlamaLibrary.SAMPLER_INIT_DIST.invokeExact(seed));
      } catch (Throwable t) {
        throw fail(t);
      }
    }

    /** Divides logits by {@code t}; {@code t <= 0} keeps only the best token. */
    public Builder temp(float t) {
      if (!Float.isFinite(t)) {
        throw new IllegalArgumentException("temperature must be finite, got " + t);
      }
      try {
        return add("temp(" + t + ")", (MemorySegment) LlamaLibrary.SAMPLER_INIT_TEMP.invokeExact(t));
      } catch (Throwable e) {
        throw fail(e);
      }
    }

    /** Keeps the {@code k} best candidates. */
    public Builder topK(int k) {
      if (k < 1) {
        throw new IllegalArgumentException("top-k must be >= 1, got " + k);
      }
      try {
        return add("top-k(" + k + ")", (MemorySegment) LlamaLibrary.SAMPLER_INIT_TOP_K.invokeExact(k));
      } catch (Throwable t) {
        throw fail(t);
      }
    }

    /** Nucleus sampling: keeps the smallest set with cumulative probability {@code >= p} (at least 1 token). */
    public Builder topP(float p) {
      checkUnit("top-p", p);
      try {
        return add("top-p(" + p + ")", (MemorySegment) LlamaLibrary.SAMPLER_INIT_TOP_P.invokeExact(p, 1L));
      } catch (Throwable t) {
        throw fail(t);
      }
    }

    /** Keeps candidates whose probability is at least {@code p} times the best one's. */
    public Builder minP(float p) {
      checkUnit("min-p", p);
      try {
        return add("min-p(" + p + ")", (MemorySegment) LlamaLibrary.SAMPLER_INIT_MIN_P.invokeExact(p, 1L));
      } catch (Throwable t) {
        throw fail(t);
      }
    }

    /**
     * Repetition penalties over the last {@code lastN} accepted tokens (0 disables). The "-1 = whole context"
     * convention belongs to llama.cpp's common library, not to this C API, so pass the context size instead.
     * Neutral values: repeat 1, frequency 0, presence 0.
     */
    public Builder penalties(int lastN, float repeat, float frequency, float presence) {
      if (lastN < 0) {
        throw new IllegalArgumentException("penalty lastN must be >= 0 (0 disables), got " + lastN);
      }
      try {
        return add("penalties(" + lastN + ", " + repeat + ", " + frequency + ", " + presence + ")",
            LlamaLibrary.samplerInitPenalties(lastN, repeat, frequency, presence));
      } catch (Throwable t) {
        throw fail(t);
      }
    }

    /**
     * Constrains tokens to a GBNF grammar.
     *
     * <p>b4916's {@code llama_sampler_init_grammar} does not return NULL for a grammar it cannot parse: it prints
     * the parse error to stderr and returns a grammar sampler without a grammar, which constrains nothing. So
     * this reads the sampler's private state, {@code llama_sampler_grammar} = {vocab pointer, grammar text,
     * root name, {@code llama_grammar *}}; the library is built with the pre-C++11 libstdc++ ABI, where a
     * {@code std::string} is one pointer to its characters, so the fields sit at 0, 8, 16 and 24. The vocab
     * pointer and both strings are checked against what was passed before the grammar pointer is trusted;
     * a NULL grammar pointer means the grammar was refused. v0.5.0's returns NULL itself for such a grammar
     * (llama-sampler.cpp of the tag), so there the result is taken as it is.
     *
     * @throws IllegalArgumentException if the grammar is empty or llama.cpp cannot parse it or find its root rule
     */
    public Builder grammar(Vocab vocab, String gbnf, String root) {
      if (gbnf.isBlank() || root.isBlank()) {
        throw fail(new IllegalArgumentException("grammar and root rule must not be empty"));
      }
      MemorySegment s;
      try (Arena tmp = Arena.ofConfined()) {
        s = (MemorySegment) LlamaLibrary.SAMPLER_INIT_GRAMMAR.invokeExact(vocab.handle(), tmp.allocateFrom(gbnf),
            tmp.allocateFrom(root));
      } catch (Throwable t) {
        throw fail(t);
      }
      if (s.address() != 0 && LlamaLibrary.PROFILE == RuntimeProfile.B4916) {
        MemorySegment state = s.reinterpret(LlamaLibrary.SAMPLER.byteSize()).get(ADDRESS, 8).reinterpret(32);
        if (state.get(ADDRESS, 0).address() != vocab.handle().address()
            || !gbnf.equals(Natives.string(state.get(ADDRESS, 8)))
            || !root.equals(Natives.string(state.get(ADDRESS, 16)))) {
          freeSampler(s);
          throw fail(new IllegalStateException("llama_sampler_grammar does not have the b4916 layout"));
        }
        if (state.get(ADDRESS, 24).address() == 0) {
          freeSampler(s);
          s = MemorySegment.NULL;
        }
      }
      if (s.address() == 0) {
        throw fail(new IllegalArgumentException("grammar does not parse or has no rule '" + root
            + "' (llama.cpp printed the reason to stderr): " + abbreviate(gbnf)));
      }
      grammarVocab = vocab.size();
      return add("grammar(" + root + ")", s);
    }

    private static void freeSampler(MemorySegment sampler) {
      try {
        LlamaLibrary.SAMPLER_FREE.invokeExact(sampler);
      } catch (Throwable t) {
        throw Natives.rethrow(t);
      }
    }

    /** Adds {@code bias} to the logits of the given tokens (negative infinity bans a token). */
    public Builder logitBias(int nVocab, Map<Integer, Float> bias) {
      MemorySegment s;
      try (Arena tmp = Arena.ofConfined()) {
        MemorySegment arr = tmp.allocate(LlamaLibrary.LOGIT_BIAS, Math.max(1, bias.size()));
        int i = 0;
        for (Map.Entry<Integer, Float> e : bias.entrySet()) {
          if (e.getKey() < 0 || e.getKey() >= nVocab) {
            throw new IllegalArgumentException("logit bias for token " + e.getKey() + " outside [0, " + nVocab + ")");
          }
          arr.set(JAVA_INT, i * 8L, e.getKey());
          arr.set(JAVA_FLOAT, i * 8L + 4, e.getValue());
          i++;
        }
        s = (MemorySegment) LlamaLibrary.SAMPLER_INIT_LOGIT_BIAS.invokeExact(nVocab, bias.size(), arr);
      } catch (Throwable t) {
        throw fail(t);
      }
      return add("logit-bias(" + bias.size() + ")", s);
    }

    /** Adds a sampler written in Java (see {@link JavaSampler}). */
    public Builder custom(JavaSampler sampler) {
      Bridge bridge = new Bridge(sampler, arena.allocateFrom(sampler.name()));
      MemorySegment smpl;
      try {
        var l = LlamaLibrary.SAMPLER_IFACE;
        MemorySegment iface = arena.allocate(l); // must outlive the sampler: llama_sampler_init keeps the pointer
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        iface.set(ADDRESS, LlamaLibrary.offset(l, "name"), stub(lookup, bridge, "name",
            MethodType.methodType(MemorySegment.class, MemorySegment.class), FunctionDescriptor.of(ADDRESS, ADDRESS)));
        iface.set(ADDRESS, LlamaLibrary.offset(l, "accept"), stub(lookup, bridge, "accept",
            MethodType.methodType(void.class, MemorySegment.class, int.class), FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT)));
        iface.set(ADDRESS, LlamaLibrary.offset(l, "apply"), stub(lookup, bridge, "apply",
            MethodType.methodType(void.class, MemorySegment.class, MemorySegment.class),
            FunctionDescriptor.ofVoid(ADDRESS, ADDRESS)));
        iface.set(ADDRESS, LlamaLibrary.offset(l, "reset"), stub(lookup, bridge, "reset",
            MethodType.methodType(void.class, MemorySegment.class), FunctionDescriptor.ofVoid(ADDRESS)));
        // clone and free stay NULL: allowed because ctx is NULL (the Java object lives in the bound stubs).
        smpl = (MemorySegment) LlamaLibrary.SAMPLER_INIT.invokeExact(iface, MemorySegment.NULL);
      } catch (Throwable t) {
        throw fail(t);
      }
      bridges.add(bridge);
      return add("java(" + sampler.name() + ")", smpl);
    }

    private MemorySegment stub(MethodHandles.Lookup lookup, Bridge bridge, String method, MethodType type,
        FunctionDescriptor descriptor) throws ReflectiveOperationException {
      MethodHandle target = lookup.findVirtual(Bridge.class, method, type).bindTo(bridge);
      return LlamaLibrary.LINKER.upcallStub(target, descriptor, arena);
    }

    /** Creates the chain; the builder cannot be used afterwards. */
    public SamplerChain build() {
      checkOpen();
      if (names.isEmpty()) {
        throw fail(new IllegalArgumentException("a sampler chain needs at least one sampler"));
      }
      built = true;
      SamplerChain result = new SamplerChain(arena, chain, names, grammarVocab);
      for (Bridge b : bridges) {
        b.owner = result;
      }
      return result;
    }

    private Builder add(String name, MemorySegment sampler) {
      checkOpen();
      if (sampler.address() == 0) {
        throw fail(new IllegalStateException("llama.cpp returned no sampler for " + name));
      }
      try {
        LlamaLibrary.SAMPLER_CHAIN_ADD.invokeExact(chain, sampler);
      } catch (Throwable t) {
        throw fail(t);
      }
      names.add(name);
      return this;
    }

    private MemorySegment call(MethodHandle init) {
      checkOpen();
      try {
        return (MemorySegment) init.invokeExact();
      } catch (Throwable t) {
        throw fail(t);
      }
    }

    private void checkOpen() {
      if (built) {
        throw new IllegalStateException("builder already built its chain");
      }
    }

    /** Frees the half-built chain and returns the exception to throw. */
    private RuntimeException fail(Throwable t) {
      if (!built) {
        built = true;
        try {
          LlamaLibrary.SAMPLER_FREE.invokeExact(chain);
        } catch (Throwable ignored) {
          // already failing; the original exception matters
        } finally {
          arena.close();
        }
      }
      return Natives.rethrow(t);
    }

    private static void checkUnit(String what, float p) {
      if (!(p >= 0f && p <= 1f)) {
        throw new IllegalArgumentException(what + " must be in [0, 1], got " + p);
      }
    }

    private static String abbreviate(String s) {
      return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
  }

  /** Upcall targets for one {@link JavaSampler}; never let an exception reach native code. */
  private static final class Bridge {
    private final JavaSampler sampler;
    private final MemorySegment name;
    SamplerChain owner;

    Bridge(JavaSampler sampler, MemorySegment name) {
      this.sampler = sampler;
      this.name = name;
    }

    @SuppressWarnings("unused") // upcall target
    MemorySegment name(MemorySegment smpl) {
      return name;
    }

    @SuppressWarnings("unused") // upcall target
    void accept(MemorySegment smpl, int token) {
      try {
        sampler.accept(token);
      } catch (Throwable t) {
        record(t);
      }
    }

    @SuppressWarnings("unused") // upcall target
    void apply(MemorySegment smpl, MemorySegment array) {
      try {
        sampler.apply(new TokenDataArray(array));
      } catch (Throwable t) {
        record(t);
      }
    }

    @SuppressWarnings("unused") // upcall target
    void reset(MemorySegment smpl) {
      try {
        sampler.reset();
      } catch (Throwable t) {
        record(t);
      }
    }

    private void record(Throwable t) {
      if (owner != null && owner.upcallError == null) {
        owner.upcallError = t;
      }
    }
  }
}

package dev.memdec.plugin;

import dev.memdec.natives.llama.SamplerChain;
import dev.memdec.natives.llama.Vocab;
import dev.memdec.plugin.mix.LogMixer;
import dev.memdec.plugin.mix.Mixing;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * A running generation: an iterator over generated tokens that decodes one step per {@link #next()}. Close it
 * (or use try-with-resources) to free its samplers; {@link #cancel()} may be called from any thread and ends it
 * before the next step. When it has ended, {@link #result()} has the whole text, the token ids and the timings.
 */
public final class Generation implements Iterator<GeneratedToken>, Iterable<GeneratedToken>, AutoCloseable {

    private final JointDecoder decoder;
    private final Vocab vocab;
    private final GenerationRequest request;
    private final Mixing mixing;
    private final SamplerChain chain;
    private final MemorySampler memorySampler;
    private final float[] memoryLogits;
    /** Host logits and their log-softmax, for logprobs without a memory sampler; null when not requested. */
    private final float[] hostLogits;
    private final float[] hostLogprobs;
    private final LogMixer hostSoftmax;
    private final StopStrings stops;
    private final Utf8Accumulator utf8 = new Utf8Accumulator();
    private final StringBuilder text = new StringBuilder();
    private final List<String> pieces = new ArrayList<>();
    private final List<Integer> ids = new ArrayList<>();
    private final int promptTokens;
    private final long promptNanos;
    private long generationNanos;
    private GeneratedToken pending;
    private FinishReason finish;
    private volatile boolean cancelled;
    private boolean closed;

    private Generation(JointDecoder decoder, Vocab vocab, GenerationRequest request, Mixing mixing,
            SamplerChain chain, MemorySampler memorySampler, int promptTokens, long promptNanos) {
        this.decoder = decoder;
        this.vocab = vocab;
        this.request = request;
        this.mixing = mixing;
        this.chain = chain;
        this.memorySampler = memorySampler;
        this.memoryLogits = memorySampler == null ? null : new float[vocab.size() + 256];
        boolean hostSoftmaxNeeded = request.wantsLogprobs() && memorySampler == null;
        this.hostLogits = hostSoftmaxNeeded ? new float[vocab.size()] : null;
        this.hostLogprobs = hostSoftmaxNeeded ? new float[vocab.size()] : null;
        this.hostSoftmax = hostSoftmaxNeeded ? new LogMixer(decoder.mixingTeam()) : null;
        this.stops = new StopStrings(request.stop());
        this.promptTokens = promptTokens;
        this.promptNanos = promptNanos;
    }

    /**
     * Builds the sampler chain (memory sampler first when {@code mixing} is non-null) and prefills the prompt,
     * reusing the cached prefix it shares with the previous request.
     */
    static Generation start(JointDecoder decoder, Vocab vocab, int[] prompt, GenerationRequest request,
            Mixing mixing, int sharedVocab) {
        return InferenceThread.call(() -> {
            MemorySampler memorySampler = mixing == null ? null : new MemorySampler(vocab.size(), sharedVocab, mixing,
                    decoder.mixingTeam());
            SamplerChain chain = buildChain(decoder.nCtx(), vocab, request.sampling(), memorySampler);
            try {
                long t0 = System.nanoTime();
                int reused = decoder.reusePrefix(prompt);
                int[] rest = java.util.Arrays.copyOfRange(prompt, reused, prompt.length);
                decoder.prefill(rest);
                long promptNanos = System.nanoTime() - t0;
                Sampling s = request.sampling();
                if (s.repeatPenalty() != 1f && s.repeatLastN() != 0 && s.grammar().isEmpty()) {
                    // Penalties count only accepted tokens; a grammar would reject prompt text, so then only
                    // generated tokens count.
                    for (int t : prompt) {
                        chain.accept(t);
                    }
                }
                return new Generation(decoder, vocab, request, mixing, chain, memorySampler, rest.length,
                        promptNanos);
            } catch (RuntimeException e) {
                chain.close();
                throw e;
            }
        });
    }

    private static SamplerChain buildChain(int nCtx, Vocab vocab, Sampling s, MemorySampler memorySampler) {
        SamplerChain.Builder b = SamplerChain.builder();
        if (memorySampler != null) {
            b.custom(memorySampler);
        }
        if (!s.logitBias().isEmpty()) {
            for (int token : s.logitBias().keySet()) {
                vocab.checkToken(token);
            }
            b.logitBias(vocab.size(), s.logitBias());
        }
        if (s.grammar().isPresent()) {
            b.grammar(vocab, s.grammar().get(), "root");
        }
        if (s.repeatPenalty() != 1f && s.repeatLastN() != 0) {
            // -1 means "the whole context"; llama.cpp's C API reads -1 as "off", so pass the context size.
            b.penalties(s.repeatLastN() < 0 ? nCtx : s.repeatLastN(), s.repeatPenalty(), 0f, 0f);
        }
        if (s.isGreedy()) {
            b.greedy();
        } else {
            if (s.topK() > 0) {
                b.topK(s.topK());
            }
            if (s.topP() < 1f) {
                b.topP(s.topP());
            }
            if (s.minP() > 0f) {
                b.minP(s.minP());
            }
            b.temp(s.temperature());
            b.dist(s.seed());
        }
        return b.build();
    }

    @Override
    public synchronized boolean hasNext() {
        if (pending == null && finish == null) {
            if (cancelled || closed) {
                finish = FinishReason.CANCELLED;
            } else {
                pending = InferenceThread.call(this::step);
            }
        }
        return pending != null;
    }

    @Override
    public synchronized GeneratedToken next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the generation has ended: " + finish);
        }
        GeneratedToken t = pending;
        pending = null;
        return t;
    }

    @Override
    public Iterator<GeneratedToken> iterator() {
        return this;
    }

    /** Ends the generation before its next step; safe from any thread. */
    public void cancel() {
        cancelled = true;
    }

    /** Why it ended, or null while it runs. */
    public synchronized FinishReason finishReason() {
        return finish;
    }

    /** The generation so far (complete once {@link #hasNext()} returned false). */
    public synchronized GenerationResult result() {
        int[] tokenIds = ids.stream().mapToInt(Integer::intValue).toArray();
        double mixMillis = memorySampler == null ? 0 : memorySampler.mixNanos() / 1e6;
        Timings timings = new Timings(promptTokens, promptNanos / 1e6, ids.size(), generationNanos / 1e6,
                mixMillis);
        return new GenerationResult(text.toString(), List.copyOf(pieces), tokenIds, finish, timings);
    }

    /** One step: sample from the current logits, then decode the sampled token in both models. */
    private GeneratedToken step() {
        long t0 = System.nanoTime();
        try {
            if (memorySampler != null && mixing.lambda() > 0) {
                decoder.memoryLogits(-1, memoryLogits);
                memorySampler.offerMemoryLogits(memoryLogits);
            }
            int token = chain.sample(decoder.hostContext(), -1);
            Optional<TokenLogprobs> logprobs = request.wantsLogprobs() ? Optional.of(logprobs(token))
                    : Optional.empty();
            ids.add(token);
            pieces.add(vocab.piece(token));
            if (vocab.isEog(token)) {
                return emit(token, logprobs, drain(""), FinishReason.END_OF_TEXT);
            }
            String visible = stops.push(utf8.append(vocab.pieceBytes(token)));
            if (stops.stopped()) {
                return emit(token, logprobs, visible, FinishReason.STOP);
            }
            if (ids.size() >= request.maxTokens()) {
                return emit(token, logprobs, drain(visible), FinishReason.LENGTH);
            }
            if (decoder.nPast() >= decoder.nCtx()) {
                return emit(token, logprobs, drain(visible), FinishReason.CONTEXT_FULL);
            }
            decoder.decode(new int[] {token}, new boolean[] {true});
            return emit(token, logprobs, visible, null);
        } finally {
            generationNanos += System.nanoTime() - t0;
        }
    }

    /**
     * The chosen token's log-probability and the top alternatives under the distribution the chain saw first
     * (see {@link TokenLogprobs}): the memory sampler's joint output when it ran, else the host's log-softmax of
     * the logits just sampled from. Only called when the request asked for logprobs.
     */
    private TokenLogprobs logprobs(int token) {
        if (memorySampler != null) {
            return TokenLogprobs.of(memorySampler.joint(), memorySampler.jointWidth(), token, request.topLogprobs());
        }
        decoder.hostLogits(-1, hostLogits);
        hostSoftmax.mix(hostLogits, null, hostLogits.length, Mixing.hostOnly(), hostLogprobs);
        return TokenLogprobs.of(hostLogprobs, hostLogprobs.length, token, request.topLogprobs());
    }

    /** {@code visible} plus whatever was held back, at the end of the generation. */
    private String drain(String visible) {
        String rest = stops.push(utf8.flush());
        return stops.stopped() ? visible + rest : visible + rest + stops.flush();
    }

    private GeneratedToken emit(int token, Optional<TokenLogprobs> logprobs, String visible, FinishReason reason) {
        text.append(visible);
        if (reason != null) {
            finish = reason;
        }
        return new GeneratedToken(token, visible, logprobs);
    }

    /** Frees the sampler chain; the generation ends. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        cancelled = true;
        if (finish == null && pending == null) {
            finish = FinishReason.CANCELLED;
        }
        InferenceThread.run(chain::close);
    }
}

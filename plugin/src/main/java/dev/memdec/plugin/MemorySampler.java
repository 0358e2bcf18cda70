package dev.memdec.plugin;

import dev.memdec.natives.llama.JavaSampler;
import dev.memdec.natives.llama.TokenDataArray;
import dev.memdec.plugin.mix.LogMixer;
import dev.memdec.plugin.mix.Mixing;
import dev.memdec.plugin.parallel.WorkerTeam;

/**
 * The memory as a llama.cpp sampler. It must be the FIRST sampler of a chain: it receives the host's logits as
 * the full, unsorted candidate array and overwrites them with the joint log-probabilities, so every built-in
 * sampler after it (penalties, grammar, top-k/p, min-p, temperature, seeded dist, logit bias) works on the mixed
 * distribution.
 *
 * <p>Before each {@code sample} call the runtime hands it the memory's logits for the same position
 * ({@link #offerMemoryLogits}); applying without them is an error rather than a silent host-only step. Tokens
 * beyond the shared vocabulary length (padding rows when the two vocabularies differ in size) get -∞, as
 * reference-spec §7.4 slices both models to one length. At λ = 0 the host's full log-softmax is written and the
 * memory is not read.
 */
final class MemorySampler implements JavaSampler {

    private final LogMixer mixer;
    private final int hostVocab;
    private final int sharedVocab;
    private final float[] host;
    private final float[] out;
    private final Mixing mixing;
    private float[] memory;
    private int width;
    private long mixNanos;

    /** {@code team}: the threads the mixing passes are split across (null: the sampling thread alone). */
    MemorySampler(int hostVocab, int sharedVocab, Mixing mixing, WorkerTeam team) {
        this.mixer = new LogMixer(team);
        this.hostVocab = hostVocab;
        this.sharedVocab = sharedVocab;
        this.mixing = mixing;
        this.host = new float[hostVocab];
        this.out = new float[hostVocab];
    }

    @Override
    public String name() {
        return "memdec-memory";
    }

    /** The memory's logits for the position about to be sampled; used by the next {@link #apply} only. */
    void offerMemoryLogits(float[] memoryLogits) {
        this.memory = memoryLogits;
    }

    /** Total time spent mixing (reading candidates, mixing, writing them back). */
    long mixNanos() {
        return mixNanos;
    }

    /**
     * The joint log-probabilities the last {@link #apply} wrote, valid for tokens {@code [0, }{@link #jointWidth()}
     * {@code )} (later ones got -∞). A live buffer: read it before the next apply.
     */
    float[] joint() {
        return out;
    }

    /** How many leading entries of {@link #joint()} the last apply wrote (0 before the first). */
    int jointWidth() {
        return width;
    }

    @Override
    public void apply(TokenDataArray candidates) {
        long start = System.nanoTime();
        int n = candidates.size();
        if (n != hostVocab || candidates.sorted() || candidates.id(0) != 0 || candidates.id(n - 1) != n - 1) {
            throw new IllegalStateException("the memory sampler must come first in the chain: expected all "
                    + hostVocab + " candidates in token order, got " + n + (candidates.sorted() ? " sorted" : ""));
        }
        float[] mem = memory;
        memory = null;
        boolean hostOnly = mixing.lambda() == 0;
        if (mem == null && !hostOnly) {
            throw new IllegalStateException("no memory logits were offered for this position");
        }
        candidates.copyLogits(host);
        width = hostOnly ? hostVocab : sharedVocab;
        mixer.mix(host, mem, width, mixing, out);
        candidates.setLogits(out, width);
        for (int i = width; i < n; i++) {
            candidates.setLogit(i, Float.NEGATIVE_INFINITY);
        }
        mixNanos += System.nanoTime() - start;
    }
}

package dev.memdec.converter.mlp;

import java.util.Locale;

/**
 * The shape of an MLP memory (MLP Memory, Wei et al.; reference-spec §9) and the host it was trained on.
 *
 * <p>Network: optional input projection (host width → width, only when they differ) → {@code blocks} residual
 * blocks {@code x + MLP(norm(x))} → final norm → output head (vocab × width, no bias). {@link Flavour#GPT2}: LayerNorm
 * with bias and a GELU (tanh form) MLP with biases; {@link Flavour#LLAMA}: RMSNorm and a SwiGLU MLP without biases.
 *
 * @param flavour            norm and MLP kind
 * @param width              the memory's residual width
 * @param blocks             residual blocks, &gt;= 1
 * @param ff                 the MLP's hidden width (4 × width for GPT-2 style)
 * @param vocab              output rows: the host's vocabulary length
 * @param eps                the norms' epsilon
 * @param host               the host whose hidden state the memory reads
 * @param tokenizerSha256    {@code memdec.tokenizer_sha256} of the host's tokenizer
 * @param defaultLambda      λ to use when none is asked for
 * @param defaultTemperature temperature dividing the memory's logits when none is asked for
 */
public record MlpMemoryConfig(Flavour flavour, int width, int blocks, int ff, int vocab, float eps, Host host,
                              String tokenizerSha256, float defaultLambda, float defaultTemperature) {

    /** Norm and MLP kind; the GGUF spelling is {@link #ggufName()}. */
    public enum Flavour {
        GPT2, LLAMA;

        public String ggufName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** @throws IllegalArgumentException for anything but {@code gpt2} and {@code llama} */
        public static Flavour parse(String s) {
            for (Flavour f : values()) {
                if (f.ggufName().equals(s)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("flavour must be 'gpt2' or 'llama', got '" + s + "'");
        }

        /** The flavour that matches a host architecture's norms and MLP. */
        public static Flavour ofHost(String architecture) {
            return architecture.equals("gpt2") ? GPT2 : LLAMA;
        }
    }

    /**
     * The host the memory was trained on.
     *
     * @param architecture {@code general.architecture} of the host GGUF (e.g. {@code gpt2}, {@code llama})
     * @param width        the host's n_embd: the memory's input width
     * @param keyTensor    the host graph node whose rows are the input (e.g. {@code ffn_norm-11}, the last block's
     *                     FFN input, which is also the kNN key)
     * @param fileSha256   SHA-256 of the host GGUF the training datastore was built from ("" when unknown)
     */
    public record Host(String architecture, int width, String keyTensor, String fileSha256) {
        public Host {
            if (architecture == null || architecture.isEmpty() || keyTensor == null || keyTensor.isEmpty()
                    || fileSha256 == null) {
                throw new IllegalArgumentException("the host's architecture, key tensor and file hash must be given");
            }
            if (width < 1) {
                throw new IllegalArgumentException("the host's width must be >= 1, got " + width);
            }
        }
    }

    public MlpMemoryConfig {
        if (flavour == null || host == null || tokenizerSha256 == null) {
            throw new IllegalArgumentException("flavour, host and tokenizer hash must be given");
        }
        if (width < 1 || blocks < 1 || ff < 1 || vocab < 1) {
            throw new IllegalArgumentException("width, blocks, ff and vocab must be >= 1, got " + width + ", " + blocks
                    + ", " + ff + ", " + vocab);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("eps must be > 0, got " + eps);
        }
        if (!(defaultLambda >= 0 && defaultLambda <= 1)) {
            throw new IllegalArgumentException("default lambda must be in [0, 1], got " + defaultLambda);
        }
        if (!(defaultTemperature > 0) || Float.isInfinite(defaultTemperature)) {
            throw new IllegalArgumentException("default temperature must be a finite number > 0, got " + defaultTemperature);
        }
    }

    /** A GPT-2-style memory (4× GELU MLP, LayerNorm eps 1e-5) for {@code host}, λ 0.25 and temperature 1 (§9.6). */
    public static MlpMemoryConfig gpt2(int width, int blocks, int vocab, Host host, String tokenizerSha256) {
        return of(Flavour.GPT2, width, blocks, vocab, host, tokenizerSha256);
    }

    /**
     * A memory of {@code flavour} with that flavour's usual hidden width and epsilon: GPT-2 4 × width and 1e-5;
     * llama 8/3 × width rounded down to a multiple of 32 (at least 32, so every matrix row fits Q8_0/Q4_0 blocks) and
     * 1e-6; λ 0.25 and temperature 1 (§9.6).
     */
    public static MlpMemoryConfig of(Flavour flavour, int width, int blocks, int vocab, Host host, String tokenizerSha256) {
        boolean gpt2 = flavour == Flavour.GPT2;
        int ff = gpt2 ? 4 * width : Math.max(32, width * 8 / 3 / 32 * 32);
        return new MlpMemoryConfig(flavour, width, blocks, ff, vocab, gpt2 ? 1e-5f : 1e-6f, host, tokenizerSha256,
                0.25f, 1f);
    }

    /** This memory with other defaults for λ and the temperature (as an exporter records them). */
    public MlpMemoryConfig withDefaults(float lambda, float temperature) {
        return new MlpMemoryConfig(flavour, width, blocks, ff, vocab, eps, host, tokenizerSha256, lambda, temperature);
    }

    /** The host's width, which the input projection maps to {@link #width()} when they differ. */
    public int inputWidth() {
        return host.width();
    }

    /** True when an input projection exists (the host's width differs from the memory's). */
    public boolean projects() {
        return host.width() != width;
    }

    /** Parameters in all tensors. */
    public long parameterCount() {
        return MlpMemoryTensors.of(this).stream().mapToLong(MlpMemoryTensors.Spec::elementCount).sum();
    }
}

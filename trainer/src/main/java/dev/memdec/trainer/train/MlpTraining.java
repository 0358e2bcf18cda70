package dev.memdec.trainer.train;

import ai.djl.ndarray.NDManager;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.io.AtomicFiles;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.converter.mlp.MlpMemoryGguf;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.plugin.retrieval.DatastoreSpec;
import dev.memdec.plugin.retrieval.KnnLm;
import dev.memdec.trainer.model.CausalLm;
import dev.memdec.trainer.model.GgufModels;
import dev.memdec.trainer.model.MlpLm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Training an MLP memory offline (reference-spec §9.5) from a datastore's keys and its kNN targets, and writing it as
 * a {@code memdec-mlp} GGUF: the shape read from the host's GGUF header, the run on {@link TrainingRun} (the
 * datastore's windows in order, each scored position's key as input, loss β·KL(p_kNN‖p_mlp) + (1−β)·CE, resumable
 * checkpoints, graceful stop, NaN stop, loss.png, validation perplexity alone and joint with the host), and the
 * export. {@code train-mlp} and {@code export} call it; so can the demo ({@link #train}).
 */
public final class MlpTraining {

    /** The file {@link #train} writes in its output directory. */
    public static final String GGUF = "mlp-memory.gguf";

    /** Default memory weight of an MLP memory (§9.6: 0.25 for GPT2-large on WikiText-103). */
    public static final float DEFAULT_LAMBDA = 0.25f;

    private MlpTraining() {
    }

    /**
     * What to train.
     *
     * @param blocks        residual blocks, >= 1
     * @param width         the memory's width, or null for the host's (another width adds an input projection)
     * @param flavour       norm and MLP kind, or null for the host's family (gpt2 → LayerNorm + GELU, else RMSNorm + SwiGLU)
     * @param training      β, learning rate, epochs, batch (windows per step), seed, clip, checkpoint cadence, λ
     * @param validFraction the last fraction of the windows held out for validation perplexity
     */
    public record Options(int blocks, Integer width, MlpMemoryConfig.Flavour flavour, TrainingOptions training,
                          double validFraction) {
        public Options {
            if (blocks < 1) {
                throw new IllegalArgumentException("--layers must be >= 1, got " + blocks);
            }
            if (width != null && width < 1) {
                throw new IllegalArgumentException("--width must be >= 1, got " + width);
            }
        }
    }

    /**
     * A host as its GGUF header describes it (no weights are loaded).
     *
     * @param file            the GGUF
     * @param architecture    {@code general.architecture}
     * @param width           n_embd
     * @param blocks          transformer blocks
     * @param vocab           tokenizer entries
     * @param tokenizerSha256 the canonical hash of its tokenizer (what the datastore records)
     */
    public record Host(Path file, String architecture, int width, int blocks, int vocab, String tokenizerSha256) {

        /**
         * Reads the header of {@code gguf}.
         *
         * @throws IllegalArgumentException one line naming the file and the key that is missing or wrong
         */
        public static Host read(Path gguf) throws IOException {
            if (!Files.isRegularFile(gguf)) {
                throw new IllegalArgumentException("--host " + gguf + ": file not found");
            }
            try (GgufFile f = GgufFile.open(gguf)) {
                String arch = f.architecture();
                BpeVocabulary vocabulary = BpeVocabulary.readFrom(f);
                return new Host(gguf, arch, positive(f, arch + ".embedding_length"), positive(f, arch + ".block_count"),
                        vocabulary.size(), vocabulary.sha256());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage().startsWith(gguf.toString()) ? e.getMessage()
                        : "--host " + gguf + ": " + e.getMessage(), e);
            }
        }

        private static int positive(GgufFile f, String key) {
            long v = f.getUInt32(key);
            if (v < 1 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("metadata key '" + key + "' is " + v + ", expected >= 1");
            }
            return (int) v;
        }
    }

    /**
     * The host of a datastore: {@code host} when given, else the file its manifest records (where it was built).
     *
     * @throws IllegalArgumentException when neither exists, or the host is not the datastore's kind of host: another
     *     width than its keys or another tokenizer
     */
    public static Host hostOf(DatastoreSpec spec, Path datastore, Path host) throws IOException {
        Path file = host != null ? host : Path.of(spec.host().path());
        if (host == null && !Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--datastore " + datastore + ": its host '" + spec.host().path()
                    + "' (datastore.json field 'spec.host.path') is not found here; give it with --host");
        }
        Host h = Host.read(file);
        if (h.width() != spec.dimension()) {
            throw new IllegalArgumentException("--host " + file + ": n_embd (" + h.architecture() + ".embedding_length) is "
                    + h.width() + " but the datastore's keys are " + spec.dimension() + " wide (datastore.json field "
                    + "'spec.dimension'); an MLP memory reads the hidden states of the host the datastore was built with");
        }
        if (!h.tokenizerSha256().equals(spec.tokenizerSha256())) {
            throw new IllegalArgumentException("--host " + file + ": its tokenizer (sha256 " + h.tokenizerSha256()
                    + ") is not the datastore's (" + spec.tokenizerSha256() + ", datastore.json field 'spec.tokenizerSha256')");
        }
        return h;
    }

    /**
     * A warning when {@code host}'s file is not the one the datastore was built from (same width and tokenizer, so
     * allowed; quality may differ), else empty.
     */
    public static Optional<String> hostFileWarning(DatastoreSpec spec, Host host) throws IOException {
        String sha = AtomicFiles.sha256(host.file());
        if (sha.equals(spec.host().sha256())) {
            return Optional.empty();
        }
        return Optional.of("warning: --host " + host.file() + " (sha256 " + sha + ") is not the file the datastore was built "
                + "from (" + spec.host().path() + ", sha256 " + spec.host().sha256() + "); same width and tokenizer");
    }

    /** The memory's shape for a datastore of {@code spec} built with {@code host}. */
    public static MlpMemoryConfig shape(DatastoreSpec spec, Host host, Options o) {
        MlpMemoryConfig.Flavour flavour = o.flavour() != null ? o.flavour() : MlpMemoryConfig.Flavour.ofHost(host.architecture());
        MlpMemoryConfig.Host reads = new MlpMemoryConfig.Host(host.architecture(), host.width(),
                KnnLm.keyTensor(spec.keyType(), host.blocks()), spec.host().sha256());
        return MlpMemoryConfig.of(flavour, o.width() != null ? o.width() : host.width(), o.blocks(), host.vocab(), reads,
                spec.tokenizerSha256());
    }

    /**
     * Trains (or resumes) an MLP memory in {@code out} on {@code data}, which must have been opened with keys.
     *
     * @param jointHost the host for the joint validation perplexity, or null
     * @param stop      checked after every step (graceful stop)
     */
    public static TrainingRun.Result run(NDManager manager, DatastoreWindows data, MlpMemoryConfig config, Options o,
                                         Path out, CausalLm jointHost, BooleanSupplier stop) throws IOException {
        if (data.vocab() > config.vocab()) {
            throw new IllegalArgumentException("the datastore's token ids go up to " + (data.vocab() - 1)
                    + " but the host's vocabulary has " + config.vocab() + " tokens");
        }
        TrainingWindows[] split = TrainingWindows.holdOut(data, o.validFraction());
        long seed = o.training().seed();
        Map<String, String> metadata = data.provenance("mlp-memory", "random, seed " + seed);
        MlpLm.Spec shape = new MlpLm.Spec(config);
        return new TrainingRun(manager, shape, shape.randomInit(seed), split[0], split[1], o.training(), out, metadata,
                jointHost).stopWhen(stop).run();
    }

    /**
     * Writes the checkpoint {@code dir} of an MLP memory run as a {@code memdec-mlp} GGUF, atomically.
     *
     * @param extra       {@code general.*} / {@code memdec.*} provenance keys (besides those the format owns)
     * @param lambda      default λ recorded in the file
     * @param temperature default temperature recorded in the file
     */
    public static void export(Path dir, TrainingState state, GgmlType type, float lambda, float temperature,
                              Map<String, String> extra, Path out) throws IOException {
        if (state.mlp() == null) {
            throw new IllegalArgumentException("checkpoint " + dir + " holds a Memory Decoder, not an MLP memory");
        }
        MlpMemoryConfig config = state.mlp().withDefaults(lambda, temperature);
        MlpMemoryGguf.checkType(config, type);
        try (NDManager manager = NDManager.newBaseManager("PyTorch");
             MlpLm model = MlpLm.create(manager, state.mlp(), Checkpoint.modelTensors(manager, dir))) {
            MlpMemoryGguf.write(config, model.weights(), type, extra, out);
        }
    }

    /**
     * Trains an MLP memory on a datastore and its kNN targets to the end (resuming a run already in {@code out}) and
     * exports it as {@code out/}{@value #GGUF} (F32, λ {@value #DEFAULT_LAMBDA}, temperature 1). With held-out windows
     * and a host the trainer reads ({@link GgufModels#supports}) the validation perplexity is also computed joint with it.
     *
     * @param host the host the datastore was built with, or null for the file its manifest records
     * @return the GGUF
     */
    public static Path train(Path datastore, Path knn, Path host, Options options, Path out) throws IOException {
        try (DatastoreWindows data = DatastoreWindows.open(datastore, knn, List.of(), s -> {
            throw new IllegalStateException("no corpus is read");
        }, true);
             NDManager manager = NDManager.newBaseManager("PyTorch")) {
            Host h = hostOf(data.spec(), datastore, host);
            MlpMemoryConfig config = shape(data.spec(), h, options);
            CausalLm joint = options.validFraction() > 0 && GgufModels.supports(h.architecture())
                    ? GgufModels.loadAnyAsStored(manager, h.file()).model() : null;
            TrainingRun.Result r;
            try {
                r = run(manager, data, config, options, out, joint, () -> false);
            } finally {
                if (joint != null) {
                    joint.close();
                }
            }
            Path gguf = out.resolve(GGUF);
            export(r.checkpoint(), r.state(), GgmlType.F32, DEFAULT_LAMBDA, 1f, r.state().exportedMetadata(), gguf);
            return gguf;
        }
    }
}

package dev.memdec.trainer.demo;

import ai.djl.ndarray.NDManager;
import dev.memdec.converter.eval.SlidingWindows;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufValue;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.io.AtomicFiles;
import dev.memdec.converter.mlp.MlpMemoryConfig;
import dev.memdec.converter.tokenizer.BpeTrainer;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.ByteLevelBpeTokenizer;
import dev.memdec.natives.faiss.FaissIndex;
import dev.memdec.plugin.GenerationRequest;
import dev.memdec.plugin.HostModel;
import dev.memdec.plugin.MemoryModel;
import dev.memdec.plugin.PerplexityReport;
import dev.memdec.plugin.RuntimeOptions;
import dev.memdec.plugin.Sampling;
import dev.memdec.plugin.mlp.MlpMemory;
import dev.memdec.plugin.retrieval.Datastore;
import dev.memdec.plugin.retrieval.DatastoreBuilder;
import dev.memdec.plugin.retrieval.DatastoreManifest;
import dev.memdec.plugin.retrieval.IndexType;
import dev.memdec.plugin.retrieval.KeyType;
import dev.memdec.plugin.retrieval.KnnBuilder;
import dev.memdec.plugin.retrieval.KnnConfig;
import dev.memdec.plugin.retrieval.KnnDistributions;
import dev.memdec.plugin.retrieval.KnnLm;
import dev.memdec.plugin.retrieval.KnnManifest;
import dev.memdec.plugin.retrieval.ProbType;
import dev.memdec.plugin.stop.StoppedException;
import dev.memdec.trainer.corpus.DemoCorpora;
import dev.memdec.trainer.model.GgufModels;
import dev.memdec.trainer.model.Gpt2Lm;
import dev.memdec.trainer.model.Gpt2LmWeights;
import dev.memdec.trainer.model.ShapeSpec;
import dev.memdec.trainer.ngram.KneserNeyBigram;
import dev.memdec.trainer.ngram.Unigram;
import dev.memdec.trainer.train.Checkpoint;
import dev.memdec.trainer.train.CorpusWindows;
import dev.memdec.trainer.train.DatastoreWindows;
import dev.memdec.trainer.train.MlpTraining;
import dev.memdec.trainer.train.ReplayWindows;
import dev.memdec.trainer.train.TorchThreads;
import dev.memdec.trainer.train.TrainingOptions;
import dev.memdec.trainer.train.TrainingRun;
import dev.memdec.trainer.train.TrainingState;
import dev.memdec.trainer.train.TrainingWindows;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The whole mission end to end: pretrain a small host on general text, fine-tune a copy of it on the domain
 * training text (the DAPT baseline, whose weights change), build the host's datastore and kNN targets over the
 * domain training text, train a memory decoder (initialised from the host) on them, export it to GGUF (F32 and
 * Q8_0), then measure held-out perplexity of the host alone, the DAPT host, the host with the kNN-LM and with the
 * Q8_0 memory mixed in through llama.cpp (λ chosen by the {@link LambdaRule} on the validation texts), and
 * continue domain prompts with each (seeded sampling, the same seed for every model).
 *
 * <p>Every stage lives in a directory keyed by its settings and the hashes of its inputs ({@link StageDir}):
 * finished stages are reused, interrupted ones resume (training from its checkpoints, the datastore and kNN
 * builders from their own resumable outputs). A {@linkplain #stopWhen stop request} ends the running stage at its
 * next boundary (a training step with its checkpoint, a datastore window, a kNN chunk, an evaluation window or
 * continuation) with a {@link StoppedException}, leaving it to resume the same way.
 */
public final class DemoPipeline {

    /** Table row of the host alone. */
    public static final String HOST = "host";
    /** Table row of the host with the memory mixed in at the tuned λ. */
    public static final String MEMORY = "host + memory";
    /** Table row of the host mixed with the MLP memory (MLP Memory: an MLP on the host's hidden state). */
    public static final String MLP_MEMORY = "host + MLP memory";
    /** Table row of the host fine-tuned on the domain training text (domain-adaptive pretraining). */
    public static final String DAPT = "DAPT host";
    /** Table row of DAPT with the memory's replay of general text (the fair baseline for a replayed memory). */
    public static final String DAPT_REPLAY = "DAPT host + replay";
    /** Table row of the kNN-LM baseline (host + retrieval from the domain datastore) at its tuned λ. */
    public static final String KNN_LM = "host + kNN-LM";
    /** Table row of the add-one unigram of each corpus's training split (the cheapest baseline). */
    public static final String UNIGRAM = "unigram of the training text";
    /** Table row of the interpolated Kneser-Ney bigram of each corpus's training split. */
    public static final String BIGRAM = "bigram of the training text";
    /** Table row of the host interpolated with the domain training text's bigram at its tuned λ. */
    public static final String HOST_BIGRAM = "host + domain bigram";
    /** Where a stage checks for a stop request, for the {@link dev.memdec.trainer.stop.GracefulStop} message. */
    public static final String BOUNDARY = "training step, window or chunk";
    /** Steps between mid-epoch checkpoints, so a killed run loses little training. */
    private static final int SAVE_EVERY = 40;
    /** Bumped when the evaluation's output changes shape, so a cached evaluation of an older format is not reused. */
    private static final int REPORT_FORMAT = 5;

    private final DemoConfig config;
    private final DemoCorpora corpora;
    private final Path work;
    private final PrintStream log;
    /** The host shipped in the repository (pretrained by {@code memdec demo --rebuild-host}), and its SHA-256. */
    static final String SHIPPED_HOST = "host.gguf";
    static final String SHIPPED_HOST_SHA256 = "7a35d85e62e50064a8945b66850e1d24920070b3d99ac67f9c74821a03fa20e0";
    /** GGUF metadata key holding the host stage's inputs, so a shipped host proves what it was trained on. */
    static final String HOST_INPUTS_KEY = "memdec.demo_host_inputs";

    private ByteLevelBpeTokenizer tokenizer;
    private BpeVocabulary vocabulary;
    private boolean rebuildHost;
    private final Map<String, Double> seconds = new LinkedHashMap<>();
    private final Map<String, Object> sizes = new LinkedHashMap<>();
    private final Map<String, int[]> encoded = new HashMap<>();
    private BooleanSupplier stop = () -> false;

    /** @param log receives stage headlines and progress bars (e.g. System.err) */
    public DemoPipeline(DemoConfig config, DemoCorpora corpora, Path work, PrintStream log) {
        this.config = config;
        this.corpora = corpora;
        this.work = work;
        this.log = log;
    }

    /**
     * Checks {@code stop} at every boundary of every stage: once it is true the running stage saves what it
     * finished (as it does anyway) and {@link #run} throws a {@link StoppedException} after closing native resources.
     */
    public DemoPipeline stopWhen(BooleanSupplier stop) {
        this.stop = stop;
        return this;
    }

    /**
     * Pretrain the host from scratch (the stage that made the shipped host) instead of using the shipped one.
     */
    public DemoPipeline rebuildHost(boolean rebuild) {
        this.rebuildHost = rebuild;
        return this;
    }

    private static final String REBUILD_HOST = "; run `./memdec demo --rebuild-host` to pretrain it from scratch";

    /** The shipped host in the work directory, copied from the resource unless there with its SHA-256; checked. */
    private Path extractShippedHost() throws IOException {
        Path out = work.resolve("shipped-host").resolve(SHIPPED_HOST);
        if (!Files.isRegularFile(out) || !AtomicFiles.sha256(out).equals(SHIPPED_HOST_SHA256)) {
            try (var in = DemoPipeline.class.getResourceAsStream(SHIPPED_HOST)) {
                if (in == null) {
                    throw new IllegalStateException("the shipped demo host (resource " + SHIPPED_HOST + ") is missing"
                            + REBUILD_HOST);
                }
                AtomicFiles.write(out, in.readAllBytes());
            }
        }
        String sha = AtomicFiles.sha256(out);
        if (!sha.equals(SHIPPED_HOST_SHA256)) {
            throw new IllegalStateException("the shipped demo host has sha256 " + sha + ", expected "
                    + SHIPPED_HOST_SHA256 + REBUILD_HOST);
        }
        return out;
    }

    /** A built model file with the SHA-256 that keys the stages after it. */
    record Built(String file, String sha256) {
        Built(Path file) throws IOException {
            this(file.toString(), AtomicFiles.sha256(file));
        }

        Path path() {
            return Path.of(file);
        }
    }

    /**
     * Runs (or resumes) every stage and writes report.json and lambda-sweep.png into the work directory.
     *
     * @throws StoppedException when a stop was requested; a later run resumes
     */
    public DemoReport run() throws IOException {
        long start = System.nanoTime();
        Files.createDirectories(work);
        TorchThreads.use(config.threads());
        timed("splits", this::writeSplits);
        timed("tokenizer", this::learnTokenizer);
        Built host = timed(rebuildHost ? "pretrain host" : "shipped host", this::host);
        Built dapt = timed("dapt host", () -> adaptHost(host, 0));
        Built daptReplay = timed("dapt host + replay", () -> adaptHost(host, config.replay()));
        Path datastore = timed("datastore", () -> datastore(host));
        Path knn = timed("knn targets", () -> knnTargets(datastore));
        Built memory = timed("train memory", () -> trainMemory(host, datastore, knn));
        Built mlp = timed("train MLP memory", () -> trainMlpMemory(host, datastore, knn));
        DemoReport report = timed("evaluate", () -> evaluate(host, dapt, daptReplay, memory, mlp, datastore, knn))
                .withTimes(seconds, (System.nanoTime() - start) / 1e9);
        AtomicFiles.write(work.resolve("report.json"), StageDir.GSON.toJson(report).getBytes(StandardCharsets.UTF_8));
        return report;
    }

    /** Every split's exact text, so anyone can recompute a baseline on the same tokens. */
    private Void writeSplits() throws IOException {
        Path dir = work.resolve("splits");
        Files.createDirectories(dir);
        Map<String, Path> files = new LinkedHashMap<>();
        files.put("general-train", corpora.general().train());
        files.put("general-valid", corpora.general().valid());
        files.put("general-test", corpora.general().test());
        files.put("domain-train", corpora.domain().train());
        files.put("domain-valid", corpora.domain().valid());
        files.put("domain-test", corpora.domain().test());
        for (Map.Entry<String, Path> e : files.entrySet()) {
            AtomicFiles.write(dir.resolve(e.getKey() + ".txt"), Files.readAllBytes(e.getValue()));
        }
        return null;
    }

    /** Tokens and merges of the learned vocabulary, as the tokenizer stage caches them. */
    record LearnedTokenizer(List<String> tokens, List<String> merges) {
    }

    /**
     * The host's tokenizer: byte-level BPE with {@code config.vocab()} tokens learned from the general training text
     * only (the host never sees the domain, its tokenizer neither). A small vocabulary makes the output layer, the
     * main CPU cost of training and evaluating, cheap. With the shipped host it is the one in the host's GGUF (this
     * stage learned it when the host was pretrained; the host check below proves it is the one learned from this
     * run's text); {@code --rebuild-host} learns it again.
     */
    private Void learnTokenizer() throws IOException {
        if (!rebuildHost) {
            try (GgufFile f = GgufFile.open(extractShippedHost())) {
                useVocabulary(BpeVocabulary.readFrom(f));
            }
            return null;
        }
        String trainSha = AtomicFiles.sha256(corpora.general().train());
        StageDir stage = StageDir.of(work, "tokenizer", StageDir.inputs("corpus", trainSha, "vocab", config.vocab()));
        LearnedTokenizer learned = stage.done(LearnedTokenizer.class).orElse(null);
        if (learned == null) {
            log.printf(Locale.ROOT, "tokenizer: learning %,d byte-level BPE tokens from %s%n", config.vocab(),
                    corpora.generalName());
            BpeVocabulary v = BpeTrainer.train(List.of(Files.readString(corpora.general().train())), config.vocab());
            learned = stage.finish(new LearnedTokenizer(v.tokens().subList(0, v.size() - 1), v.merges()));
        }
        useVocabulary(BpeTrainer.vocabulary(learned.tokens(), learned.merges()));
        return null;
    }

    private void useVocabulary(BpeVocabulary v) {
        vocabulary = v;
        tokenizer = new ByteLevelBpeTokenizer(vocabulary);
        sizes.put("vocabulary", vocabulary.size());
    }

    /** The stage that pretrains the host from scratch (and made the shipped host). */
    private StageDir hostStage(Gpt2Config shape, TrainingOptions options) throws IOException {
        return StageDir.of(work, "host", StageDir.inputs("shape", shape, "options", options,
                "corpus", AtomicFiles.sha256(corpora.general().train()), "tokenizer", vocabulary.sha256()));
    }

    private Built host() throws IOException {
        Gpt2Config shape = ShapeSpec.parse("host shape", config.hostShape(), config.ctx(), vocabulary.size());
        TrainingOptions options = new TrainingOptions(0f, config.hostLr(), config.hostEpochs(), config.hostBatch(),
                config.seed(), 1f, SAVE_EVERY, 0.5f, config.hostWarmup());
        StageDir stage = hostStage(shape, options);
        if (rebuildHost) {
            Map<String, String> meta = Map.of("memdec.kind", "host",
                    "memdec.corpus_sha256", AtomicFiles.sha256(corpora.general().train()),
                    HOST_INPUTS_KEY, stage.inputsJson());
            // F16: the shipped host is this file, and half of F32's bytes in the repository (F16 vs F32 logits: mean
            // KL 1.4e-8 nats on a trained model, README's quantization table).
            return trainOnText(stage, "host", "host_train_tokens", corpora.general().train(), corpora.generalName(), 0,
                    shape, manager -> Gpt2Lm.randomInit(shape, config.seed()), "pretraining " + config.hostShape(),
                    options, meta, GgmlType.F16);
        }
        return shippedHost(stage);
    }

    /**
     * The host shipped in the repository, copied into the work directory after its SHA-256 and the inputs it was
     * trained on (settings, training text, tokenizer) are checked against this run's.
     */
    private Built shippedHost(StageDir hostStage) throws IOException {
        Path out = extractShippedHost();
        String sha = AtomicFiles.sha256(out);
        String inputs;
        try (GgufFile f = GgufFile.open(out)) {
            inputs = f.find(HOST_INPUTS_KEY).map(GgufValue::asString).orElse("(none)");
        }
        if (!inputs.equals(hostStage.inputsJson())) {
            throw new IllegalStateException("the shipped demo host was trained on other inputs than this run's ("
                    + HOST_INPUTS_KEY + " differs: settings, general training text or tokenizer)" + REBUILD_HOST);
        }
        log.println("host: shipped " + SHIPPED_HOST + " (sha256 " + sha.substring(0, 12) + "…, pretrained by this "
                + "pipeline on " + corpora.generalName() + ")");
        return new Built(out.toString(), sha);
    }

    /**
     * The DAPT baseline: the host trained further, with cross-entropy, on the domain training text (what
     * {@code memdec pretrain --init host.gguf} does), with the memory's epochs, batch and learning rate.
     */
    private Built adaptHost(Built host, double replay) throws IOException {
        String trainSha = AtomicFiles.sha256(corpora.domain().train());
        Gpt2Config shape = ShapeSpec.parse("host shape", config.hostShape(), config.ctx(), vocabulary.size());
        TrainingOptions options = new TrainingOptions(0f, config.memoryLr(), config.memoryEpochs(), config.batch(),
                config.seed(), 1f, SAVE_EVERY, 0.5f);
        String name = replay > 0 ? "dapt-replay" : "dapt";
        StageDir stage = StageDir.of(work, name, replay > 0
                ? StageDir.inputs("host", host.sha256(), "options", options, "corpus", trainSha, "replay", replay,
                        "general", AtomicFiles.sha256(corpora.general().train()))
                : StageDir.inputs("host", host.sha256(), "options", options, "corpus", trainSha));
        Map<String, String> meta = Map.of("memdec.kind", "host", "memdec.corpus_sha256", trainSha,
                "memdec.init", "host " + host.sha256());
        return trainOnText(stage, name, name.replace('-', '_') + "_train_tokens", corpora.domain().train(),
                corpora.domainName(), replay, shape, manager -> GgufModels.load(manager, host.path()).model().asSource(),
                "fine-tuning the host", options, meta, GgmlType.F32);
    }

    /** Where a cross-entropy run starts (its tensors live in the run's manager). */
    @FunctionalInterface
    private interface Start {
        Gpt2Lm.TensorSource tensors(NDManager manager) throws IOException;
    }

    /**
     * Trains {@code shape} from {@code start} on {@code text} with cross-entropy, with {@code replay} windows of the
     * general training text per window of it, and exports it as {@code type}.
     */
    private Built trainOnText(StageDir stage, String name, String sizeKey, Path text, String textName, double replay,
                              Gpt2Config shape,
                              Start start, String what, TrainingOptions options, Map<String, String> meta, GgmlType type)
            throws IOException {
        Path gguf = stage.resolve(name + ".gguf");
        if (stage.done(Built.class).isPresent()) {
            log.println(name + ": cached " + gguf);
            return stage.done(Built.class).get();
        }
        CorpusWindows data = CorpusWindows.read(List.of(text), this::encode, tokenizer.endOfText(),
                config.ctx(), vocabulary.size());
        sizes.put(sizeKey, data.tokenCount());
        TrainingWindows windows = data;
        String replayed = "";
        if (replay > 0) {
            ReplayWindows r = new ReplayWindows(data, generalWindows(), replay);
            windows = r;
            replayed = String.format(Locale.ROOT, " and %,d replayed windows of %s", r.replayed(), corpora.generalName());
        }
        log.printf(Locale.ROOT, "%s: %s on %,d tokens of %s%s%n", name, what, data.tokenCount(), textName, replayed);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            TrainingRun.Result r = new TrainingRun(manager, shape, start.tensors(manager), windows, null, options,
                    stage.resolve("train"), meta, null).progressTo(log).stopWhen(stop).run();
            requireFinished(name, r);
            export(manager, r.checkpoint(), type, meta, gguf);
        }
        return stage.finish(new Built(gguf));
    }

    private Path datastore(Built host) throws IOException {
        String corpusSha = AtomicFiles.sha256(corpora.domain().train());
        DatastoreBuilder.Options options = new DatastoreBuilder.Options(config.ctx(), config.ctx() / 2,
                KeyType.FFN_INPUT, config.threads());
        // the format version in the key: a work directory of an older layout is rebuilt, not refused
        StageDir stage = StageDir.of(work, "datastore", StageDir.inputs("host", host.sha256(), "corpus", corpusSha,
                "options", options, "format", DatastoreManifest.VERSION));
        Path dir = stage.resolve("datastore");
        if (stage.done(String.class).isPresent()) {
            log.println("datastore: cached " + dir);
            return dir;
        }
        if (Files.exists(dir.resolve(DatastoreManifest.FILE))) {   // finished, killed before done.json
            stage.finish(dir.toString());
            return dir;
        }
        ProgressBar[] bar = new ProgressBar[1];
        try {
            DatastoreManifest m = DatastoreBuilder.build(host.path(), List.of(corpora.domain().train()), dir, options,
                    new DatastoreBuilder.Progress() {
                        @Override
                        public void start(long total, long done) {
                            bar[0] = bar("datastore", total, done, " entries");
                        }

                        @Override
                        public void step(long entries) {
                            bar[0].stepBy(entries);
                        }
                    }, stop);
            sizes.put("datastore_entries", m.count());
        } finally {
            if (bar[0] != null) {
                bar[0].close();
            }
        }
        stage.finish(dir.toString());
        return dir;
    }

    private Path knnTargets(Path datastoreDir) throws IOException {
        KnnConfig knn = new KnnConfig(config.knnK(), config.knnTemperature(), 0, IndexType.FLAT, 32, 1_000_000,
                ProbType.F16);
        try (Datastore ds = Datastore.open(datastoreDir)) {
            StageDir stage = StageDir.of(work, "knn", StageDir.inputs("datastore", ds.manifestSha256(), "config", knn,
                    "format", KnnManifest.VERSION));
            Path dir = stage.resolve("knn");
            if (stage.done(String.class).isPresent()) {
                log.println("knn: cached " + dir);
                return dir;
            }
            if (Files.exists(dir.resolve(KnnManifest.FILE))) {   // finished, killed before done.json
                stage.finish(dir.toString());
                return dir;
            }
            KnnManifest m;
            try (ProgressBar bar = bar("knn", ds.count(), 0, " rows")) {
                m = KnnBuilder.build(ds, dir, knn, bar::stepBy, stop);
            }
            sizes.put("knn_tokens_per_entry", m.entries() / (double) m.count());
            stage.finish(dir.toString());
            return dir;
        }
    }

    private Built trainMemory(Built host, Path datastoreDir, Path knnDir) throws IOException {
        TrainingOptions options = new TrainingOptions(config.beta(), config.memoryLr(), config.memoryEpochs(),
                config.batch(), config.seed(), 1f, SAVE_EVERY, 0.5f);
        StageDir stage = StageDir.of(work, "memory", StageDir.inputs("host", host.sha256(), "knn",
                AtomicFiles.sha256(knnDir.resolve(KnnManifest.FILE)), "options", options, "replay", config.replay(),
                "general", AtomicFiles.sha256(corpora.general().train())));
        if (stage.done(Built.class).isPresent()) {
            log.println("memory: cached " + stage.done(Built.class).get().file);
            return stage.done(Built.class).get();
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("memdec.kind", "memory");
        meta.put("memdec.host", host.path().getFileName() + " sha256:" + host.sha256());
        meta.put("memdec.corpus_sha256", AtomicFiles.sha256(corpora.domain().train()));
        meta.put("memdec.init", "host " + host.sha256());
        try (NDManager manager = NDManager.newBaseManager("PyTorch");
             DatastoreWindows data = DatastoreWindows.open(datastoreDir, knnDir, List.of(corpora.domain().train()),
                     this::encode);
             Gpt2Lm init = GgufModels.load(manager, host.path()).model()) {
            ReplayWindows windows = new ReplayWindows(data, generalWindows(), config.replay());
            sizes.put("memory_train_windows", data.size());
            sizes.put("memory_replayed_windows", windows.replayed());
            log.printf(Locale.ROOT, "memory: training on %,d windows of %s (kNN targets, beta %.2f) and %,d replayed "
                    + "windows of %s, from the host%n", data.size(), corpora.domainName(), config.beta(),
                    windows.replayed(), corpora.generalName());
            TrainingRun.Result r = new TrainingRun(manager, init.config(), init.asSource(), windows, null, options,
                    stage.resolve("train"), meta, null).progressTo(log).stopWhen(stop).run();
            requireFinished("memory", r);
            export(manager, r.checkpoint(), GgmlType.F32, meta, stage.resolve("memory-f32.gguf"));
            export(manager, r.checkpoint(), GgmlType.Q8_0, meta, stage.resolve("memory-q8_0.gguf"));
        }
        Path q8 = stage.resolve("memory-q8_0.gguf");
        return stage.finish(new Built(q8));
    }

    /**
     * The MLP memory: {@code config.mlpBlocks()} residual MLP blocks at the host's width, trained from random weights
     * on the host's hidden states (the datastore's keys) and the same kNN targets, with the memory's loss, batch and
     * learning rate for {@code config.mlpEpochs()} passes; exported as F32 (it runs on the host's own decode, no second model).
     */
    private Built trainMlpMemory(Built host, Path datastoreDir, Path knnDir) throws IOException {
        TrainingOptions training = new TrainingOptions(config.beta(), config.memoryLr(), config.mlpEpochs(),
                config.batch(), config.seed(), 1f, SAVE_EVERY, 0.5f);
        MlpTraining.Options options = new MlpTraining.Options(config.mlpBlocks(), null, null, training, 0);
        StageDir stage = StageDir.of(work, "mlp", StageDir.inputs("host", host.sha256(), "knn",
                AtomicFiles.sha256(knnDir.resolve(KnnManifest.FILE)), "options", training, "blocks", config.mlpBlocks()));
        if (stage.done(Built.class).isPresent()) {
            log.println("MLP memory: cached " + stage.done(Built.class).get().file);
            return stage.done(Built.class).get();
        }
        Path gguf = stage.resolve(MlpTraining.GGUF);
        try (DatastoreWindows data = DatastoreWindows.open(datastoreDir, knnDir, List.of(corpora.domain().train()),
                this::encode, true);
             NDManager manager = NDManager.newBaseManager("PyTorch")) {
            MlpTraining.Host h = MlpTraining.hostOf(data.spec(), datastoreDir, host.path());
            MlpMemoryConfig shape = MlpTraining.shape(data.spec(), h, options);
            log.printf(Locale.ROOT, "MLP memory: %d blocks x %d on the host's %s, %,d windows of kNN targets%n",
                    config.mlpBlocks(), shape.width(), shape.host().keyTensor(), data.size());
            TrainingRun.Result r = MlpTraining.run(manager, data, shape, options, stage.resolve("train"), null, stop);
            requireFinished("MLP memory", r);
            MlpTraining.export(r.checkpoint(), r.state(), GgmlType.F32, MlpTraining.DEFAULT_LAMBDA, 1f,
                    r.state().exportedMetadata(), gguf);
        }
        return stage.finish(new Built(gguf));
    }

    /** The general training text as plain windows, replayed in the memory's training. */
    private CorpusWindows generalWindows() throws IOException {
        return CorpusWindows.read(List.of(corpora.general().train()), this::encode, tokenizer.endOfText(),
                config.ctx(), vocabulary.size());
    }

    private static void requireFinished(String name, TrainingRun.Result r) {
        if (r.stopped()) {
            throw new StoppedException("in " + name + " training after step " + r.steps() + " (checkpoint "
                    + r.checkpoint() + ")");
        }
    }

    private void export(NDManager manager, Path checkpoint, GgmlType type, Map<String, String> meta, Path out)
            throws IOException {
        TrainingState state = Checkpoint.readState(checkpoint);
        try (Gpt2Lm model = Gpt2Lm.create(manager, state.shape(), Checkpoint.modelTensors(manager, checkpoint))) {
            Gpt2GgufExporter.write(state.shape(), new Gpt2LmWeights(model), vocabulary, type, meta, out);
        }
    }

    /** The measurements, cached like the other stages: a second run with the same models and texts prints at once. */
    private DemoReport evaluate(Built host, Built dapt, Built daptReplay, Built memory, Built mlp, Path datastoreDir,
                                Path knnDir)
            throws IOException {
        StageDir stage = StageDir.of(work, "evaluate", StageDir.inputs("format", REPORT_FORMAT, "host", host.sha256(),
                "dapt", dapt.sha256(), "dapt_replay", daptReplay.sha256(), "memory", memory.sha256(), "mlp", mlp.sha256(),
                "knn", AtomicFiles.sha256(knnDir.resolve(KnnManifest.FILE)),
                "domain_valid", AtomicFiles.sha256(corpora.domain().valid()),
                "general_valid", AtomicFiles.sha256(corpora.general().valid()),
                "domain_test", AtomicFiles.sha256(corpora.domain().test()),
                "general_test", AtomicFiles.sha256(corpora.general().test()), "config", config,
                "sampling", describe(sampling())));
        if (stage.done(DemoReport.class).isPresent()) {
            log.println("evaluate: cached " + stage.path());
            return stage.done(DemoReport.class).get();
        }
        return stage.finish(measure(host, dapt, daptReplay, memory, mlp, datastoreDir, knnDir));
    }

    /** The held-out texts, tokenized. */
    private record Texts(int[] domainValid, int[] generalValid, int[] domainTest, int[] generalTest) {
    }

    /** The continuations' sampler: llama.cpp's defaults (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05), seeded. */
    private Sampling sampling() {
        return Sampling.defaults().withSeed((int) (config.seed() & Integer.MAX_VALUE));
    }

    private static String describe(Sampling s) {
        return String.format(Locale.ROOT, "sampled: temperature %.2f, top-k %d, top-p %.2f, min-p %.2f, seed %d "
                + "(the same seed for every model)", s.temperature(), s.topK(), s.topP(), s.minP(), s.seed());
    }

    private DemoReport measure(Built host, Built dapt, Built daptReplay, Built memory, Built mlp, Path datastoreDir,
                               Path knnDir)
            throws IOException {
        RuntimeOptions runtime = RuntimeOptions.defaults().withThreads(config.threads()).withContextSize(config.ctx());
        List<Double> lambdas = config.lambdas();
        LambdaRule rule = config.lambdaRule();
        Texts texts = new Texts(tokens(corpora.domain().valid()), tokens(corpora.general().valid()),
                tokens(corpora.domain().test()), tokens(corpora.general().test()));
        Sampling sampling = sampling();

        List<DemoReport.SweepPoint> knnSweep = new ArrayList<>();
        List<DemoReport.SweepPoint> bigramSweep = new ArrayList<>();
        List<DemoReport.SweepPoint> mlpSweep = new ArrayList<>();
        Baselines baselines = baselines(texts);
        // One host decode per text serves the kNN-LM, the MLP memory (it reads the datastore's key, the same captured
        // row) and the domain bigram; the Memory Decoder is measured below through the runtime's own mixing.
        MlpMemory mlpMemory = MlpMemory.open(mlp.path(), config.threads());
        try (Datastore ds = Datastore.open(datastoreDir);
             KnnDistributions knn = KnnDistributions.open(knnDir);
             FaissIndex index = knn.openIndex(ds)) {
            KnnLm.Scored dv = hostScores(host, index, ds, mlpMemory, "domain validation", texts.domainValid());
            KnnLm.Scored gv = hostScores(host, index, ds, mlpMemory, "general validation", texts.generalValid());
            KnnLm.Scored dt = hostScores(host, index, ds, mlpMemory, "domain test", texts.domainTest());
            KnnLm.Scored gt = hostScores(host, index, ds, mlpMemory, "general test", texts.generalTest());
            // The same host scores, mixed with the domain bigram instead of the kNN distribution.
            KnnLm.Scores bdv = dv.knn().with(baselines.domainBigram().targetProbabilities(texts.domainValid()));
            KnnLm.Scores bgv = gv.knn().with(baselines.domainBigram().targetProbabilities(texts.generalValid()));
            KnnLm.Scores bdt = dt.knn().with(baselines.domainBigram().targetProbabilities(texts.domainTest()));
            KnnLm.Scores bgt = gt.knn().with(baselines.domainBigram().targetProbabilities(texts.generalTest()));
            for (double l : lambdas) {
                knnSweep.add(new DemoReport.SweepPoint(l, dv.knn().perplexity(l), gv.knn().perplexity(l),
                        dt.knn().perplexity(l), gt.knn().perplexity(l)));
                bigramSweep.add(new DemoReport.SweepPoint(l, bdv.perplexity(l), bgv.perplexity(l), bdt.perplexity(l),
                        bgt.perplexity(l)));
                mlpSweep.add(new DemoReport.SweepPoint(l, dv.keyModel().perplexity(l), gv.keyModel().perplexity(l),
                        dt.keyModel().perplexity(l), gt.keyModel().perplexity(l)));
            }
        }
        double knnLambda = choose(rule, knnSweep);
        double bigramLambda = choose(rule, bigramSweep);
        double mlpLambda = choose(rule, mlpSweep);

        DemoReport.Row daptReplayRow;
        try (HostModel d = HostModel.open(daptReplay.path(), runtime)) {
            daptReplayRow = new DemoReport.Row(DAPT_REPLAY,
                    perplexity(d, "DAPT + replay domain test", texts.domainTest(), List.of()).hostPpl(),
                    perplexity(d, "DAPT + replay general test", texts.generalTest(), List.of()).hostPpl());
        }
        DemoReport.Row daptRow;
        Map<String, String> daptText = new LinkedHashMap<>();
        Map<String, String> daptGreedy = new LinkedHashMap<>();
        try (HostModel d = HostModel.open(dapt.path(), runtime)) {
            daptRow = new DemoReport.Row(DAPT, perplexity(d, "DAPT domain test", texts.domainTest(), List.of()).hostPpl(),
                    perplexity(d, "DAPT general test", texts.generalTest(), List.of()).hostPpl());
            for (String prompt : config.prompts()) {
                StoppedException.check(stop, () -> "in evaluate, before a DAPT continuation (evaluate restarts)");
                daptText.put(prompt, d.complete(request(prompt, sampling)).text());
                daptGreedy.put(prompt, d.complete(request(prompt, Sampling.greedy())).text());
            }
        }

        try (HostModel h = HostModel.open(host.path(), runtime); MemoryModel m = MemoryModel.open(memory.path(), runtime)) {
            h.attach(m);
            PerplexityReport dv = perplexity(h, "domain validation", texts.domainValid(), lambdas);
            PerplexityReport gv = perplexity(h, "general validation", texts.generalValid(), lambdas);
            PerplexityReport dt = perplexity(h, "domain test", texts.domainTest(), lambdas);
            PerplexityReport gt = perplexity(h, "general test", texts.generalTest(), lambdas);
            List<DemoReport.SweepPoint> sweep = new ArrayList<>();
            for (int i = 0; i < lambdas.size(); i++) {
                sweep.add(new DemoReport.SweepPoint(lambdas.get(i), dv.joint().get(i).ppl(), gv.joint().get(i).ppl(),
                        dt.joint().get(i).ppl(), gt.joint().get(i).ppl()));
            }
            DemoReport.Row hostValid = new DemoReport.Row(HOST, dv.hostPpl(), gv.hostPpl());
            double lambda = choose(rule, sweep);
            DemoReport.SweepPoint chosen = sweep.get(lambdas.indexOf(lambda));
            DemoReport.SweepPoint knnChosen = knnSweep.get(lambdas.indexOf(knnLambda));
            DemoReport.SweepPoint bigramChosen = bigramSweep.get(lambdas.indexOf(bigramLambda));
            DemoReport.SweepPoint mlpChosen = mlpSweep.get(lambdas.indexOf(mlpLambda));
            List<DemoReport.Row> table = List.of(
                    new DemoReport.Row(HOST, dt.hostPpl(), gt.hostPpl()),
                    baselines.unigram(),
                    baselines.bigram(),
                    new DemoReport.Row(HOST_BIGRAM, bigramChosen.domainTest(), bigramChosen.generalTest(), bigramLambda),
                    daptRow,
                    daptReplayRow,
                    new DemoReport.Row(KNN_LM, knnChosen.domainTest(), knnChosen.generalTest(), knnLambda),
                    new DemoReport.Row(MEMORY, chosen.domainTest(), chosen.generalTest(), lambda),
                    new DemoReport.Row(MLP_MEMORY, mlpChosen.domainTest(), mlpChosen.generalTest(), mlpLambda));
            int zero = lambdas.indexOf(0.0);
            double identity = Math.abs(dt.joint().get(zero).ppl() - dt.hostPpl()) / dt.hostPpl();
            // AWT cannot start while the JVM shuts down: a stop requested by now ends here instead.
            StoppedException.check(stop, () -> "in evaluate, before the plot (evaluate restarts)");
            LambdaSweepPlot.write(work.resolve("lambda-sweep.png"), sweep, knnSweep, hostValid,
                    new DemoReport.Row(HOST, dt.hostPpl(), gt.hostPpl()), List.of(baselines.unigram(),
                            baselines.bigram(), daptRow, daptReplayRow), rule, lambda);
            List<DemoReport.Continuation> continuations = new ArrayList<>();
            for (String prompt : config.prompts()) {
                StoppedException.check(stop, () -> "in evaluate, before a continuation (evaluate restarts)");
                GenerationRequest request = request(prompt, sampling);
                GenerationRequest greedy = request(prompt, Sampling.greedy());
                continuations.add(new DemoReport.Continuation(prompt, h.complete(request.withLambda(0)).text(),
                        daptText.get(prompt), h.complete(request.withLambda(lambda)).text(),
                        h.complete(greedy.withLambda(0)).text(), daptGreedy.get(prompt),
                        h.complete(greedy.withLambda(lambda)).text()));
            }
            sizes.put("domain_valid_tokens", dv.tokens());
            sizes.put("general_valid_tokens", gv.tokens());
            sizes.put("domain_test_tokens", dt.tokens());
            sizes.put("general_test_tokens", gt.tokens());
            return new DemoReport(config.name(), corpora.generalName(), corpora.domainName(), sizes, table, hostValid,
                    rule.describe(), lambda, knnLambda, bigramLambda, mlpLambda, identity, sweep, knnSweep, bigramSweep,
                    mlpSweep,
                    baselines.smoothing(), describe(sampling), continuations, Map.of(), 0);
        }
    }

    /**
     * The n-gram baselines on exactly the demo's tokens: each corpus's training split counted, its test split scored
     * on the same targets as the neural models (every token but the first).
     *
     * @param domainBigram the domain training text's bigram, also mixed with the host
     */
    private record Baselines(DemoReport.Row unigram, DemoReport.Row bigram, KneserNeyBigram domainBigram,
                             Map<String, String> smoothing) {
    }

    private Baselines baselines(Texts texts) throws IOException {
        int v = vocabulary.size();
        int[] generalTrain = tokens(corpora.general().train());
        int[] domainTrain = tokens(corpora.domain().train());
        Unigram gu = Unigram.train(generalTrain, v);
        Unigram du = Unigram.train(domainTrain, v);
        KneserNeyBigram gb = KneserNeyBigram.train(generalTrain, v);
        KneserNeyBigram db = KneserNeyBigram.train(domainTrain, v);
        Map<String, String> smoothing = new LinkedHashMap<>();
        smoothing.put(UNIGRAM, du.describe());
        smoothing.put(BIGRAM, "bigram, interpolated Kneser-Ney (absolute discount n1/(n1+2 n2) per order)");
        return new Baselines(new DemoReport.Row(UNIGRAM, du.perplexity(texts.domainTest()),
                gu.perplexity(texts.generalTest())), new DemoReport.Row(BIGRAM, db.perplexity(texts.domainTest()),
                gb.perplexity(texts.generalTest())), db, smoothing);
    }

    /** The λ the rule picks from a sweep (its λ = 0 point is the host on the validation texts). */
    private double choose(LambdaRule rule, List<DemoReport.SweepPoint> sweep) {
        Map<Double, DemoReport.SweepPoint> at = new LinkedHashMap<>();
        sweep.forEach(p -> at.put(p.lambda(), p));
        return rule.choose(config.lambdas(), l -> at.get(l).domainValid(), l -> at.get(l).generalValid(),
                at.get(0.0).generalValid());
    }

    private GenerationRequest request(String prompt, Sampling sampling) {
        return GenerationRequest.of(prompt).withMaxTokens(config.generateTokens()).withSampling(sampling);
    }

    /** The learned tokenizer's ids, which equal llama.cpp's for these GGUFs (tested in tests/), without a BOS. */
    private int[] tokens(Path text) throws IOException {
        return encode(Files.readString(text, StandardCharsets.UTF_8));
    }

    /**
     * The learned tokenizer's ids of {@code text}, each distinct text encoded once per run (the general training text
     * feeds DAPT + replay, the memory's replay and the baselines); callers get their own copy.
     */
    private int[] encode(String text) {
        return encoded.computeIfAbsent(text, tokenizer::encode).clone();
    }

    /** The host's, the kNN-LM's and the MLP memory's per-token scores of {@code tokens}, from one host decode. */
    private KnnLm.Scored hostScores(Built host, FaissIndex index, Datastore ds, MlpMemory mlp, String what,
                                    int[] tokens) throws IOException {
        String task = "kNN-LM, MLP " + what;
        int windows = SlidingWindows.of(tokens.length, config.ctx(), config.ctx() / 2).size();
        try (ProgressBar bar = bar(task, windows, 0, " windows")) {
            return KnnLm.score(host.path(), index, ds, tokens, config.ctx(), config.ctx() / 2, config.knnK(),
                    config.knnTemperature(), config.threads(), mlp::logits, mlp.config().host().keyTensor(),
                    done -> windowDone(bar, task, done));
        }
    }

    private PerplexityReport perplexity(HostModel h, String what, int[] tokens, List<Double> lambdas) {
        int windows = SlidingWindows.of(tokens.length, config.ctx(), config.ctx() / 2).size();
        try (ProgressBar bar = bar("ppl " + what, windows, 0, " windows")) {
            return h.perplexity(tokens, config.ctx(), config.ctx() / 2, lambdas, 1.0,
                    done -> windowDone(bar, "ppl " + what, done));
        }
    }

    /** Progress after an evaluation window, which is also where a stop request ends the (restarting) evaluation. */
    private void windowDone(ProgressBar bar, String what, int done) {
        bar.stepTo(done);
        StoppedException.check(stop, () -> "in evaluate after window " + done + " of " + what + " (evaluate restarts)");
    }

    private ProgressBar bar(String task, long total, long done, String unit) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(total).startsFrom(done, Duration.ZERO)
                .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(log)).setUnit(unit, 1)
                .setUpdateIntervalMillis(500).showSpeed().build();
    }

    @FunctionalInterface
    private interface Stage<T> {
        T run() throws IOException;
    }

    private <T> T timed(String name, Stage<T> stage) throws IOException {
        StoppedException.check(stop, () -> "before " + name);
        long t0 = System.nanoTime();
        T result = stage.run();
        seconds.put(name, (System.nanoTime() - t0) / 1e9);
        return result;
    }
}

package dev.memdec.trainer.demo;

import ai.djl.ndarray.NDManager;
import dev.memdec.converter.eval.SlidingWindows;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2GgufExporter;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import dev.memdec.natives.faiss.FaissIndex;
import dev.memdec.plugin.GenerationRequest;
import dev.memdec.plugin.HostModel;
import dev.memdec.plugin.MemoryModel;
import dev.memdec.plugin.PerplexityReport;
import dev.memdec.plugin.RuntimeOptions;
import dev.memdec.trainer.corpus.DemoCorpora;
import dev.memdec.trainer.datastore.AtomicFiles;
import dev.memdec.trainer.datastore.Datastore;
import dev.memdec.trainer.datastore.DatastoreBuilder;
import dev.memdec.trainer.datastore.DatastoreManifest;
import dev.memdec.trainer.datastore.KeyType;
import dev.memdec.trainer.knn.IndexType;
import dev.memdec.trainer.knn.KnnBuilder;
import dev.memdec.trainer.knn.KnnConfig;
import dev.memdec.trainer.knn.KnnLm;
import dev.memdec.trainer.knn.KnnManifest;
import dev.memdec.trainer.knn.ProbType;
import dev.memdec.trainer.model.GgufModels;
import dev.memdec.trainer.model.Gpt2Lm;
import dev.memdec.trainer.model.Gpt2LmWeights;
import dev.memdec.trainer.model.ShapeSpec;
import dev.memdec.trainer.train.Checkpoint;
import dev.memdec.trainer.train.CorpusWindows;
import dev.memdec.trainer.train.DatastoreWindows;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The whole mission end to end: pretrain a small host on general text, build the host's datastore and kNN
 * targets over the domain training text, train a memory decoder (initialised from the host) on them, export
 * it to GGUF (F32 and Q8_0), then measure held-out perplexity of the host alone and with the Q8_0 memory mixed
 * in through llama.cpp (λ tuned on the domain validation text) and continue domain prompts with and without it.
 *
 * <p>Every stage lives in a directory keyed by its settings and the hashes of its inputs ({@link StageDir}):
 * finished stages are reused, interrupted ones resume (training from its checkpoints, the datastore and kNN
 * builders from their own resumable outputs).
 */
public final class DemoPipeline {

    /** Table row of the host alone. */
    public static final String HOST = "host";
    /** Table row of the host with the memory mixed in at the tuned λ. */
    public static final String MEMORY = "host + memory";
    /** Table row of the kNN-LM baseline (host + retrieval from the domain datastore) at its tuned λ. */
    public static final String KNN_LM = "host + kNN-LM";
    /** Steps between mid-epoch checkpoints, so a killed run loses little training. */
    private static final int SAVE_EVERY = 40;

    private final DemoConfig config;
    private final DemoCorpora corpora;
    private final Path work;
    private final PrintStream log;
    private final Gpt2Tokenizer tokenizer = Gpt2Tokenizer.get();
    private final BpeVocabulary vocabulary = Gpt2Tokenizer.vocabulary();
    private final Map<String, Double> seconds = new LinkedHashMap<>();
    private final Map<String, Object> sizes = new LinkedHashMap<>();

    /** @param log receives stage headlines and progress bars (e.g. System.err) */
    public DemoPipeline(DemoConfig config, DemoCorpora corpora, Path work, PrintStream log) {
        this.config = config;
        this.corpora = corpora;
        this.work = work;
        this.log = log;
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

    /** Runs (or resumes) every stage and writes report.json and lambda-sweep.png into the work directory. */
    public DemoReport run() throws IOException {
        long start = System.nanoTime();
        Files.createDirectories(work);
        TorchThreads.use(config.threads());
        Built host = timed("pretrain host", this::pretrainHost);
        Path datastore = timed("datastore", () -> datastore(host));
        Path knn = timed("knn targets", () -> knnTargets(datastore));
        Built memory = timed("train memory", () -> trainMemory(host, datastore, knn));
        DemoReport report = timed("evaluate", () -> evaluate(host, memory, datastore, knn))
                .withTimes(seconds, (System.nanoTime() - start) / 1e9);
        AtomicFiles.write(work.resolve("report.json"), StageDir.GSON.toJson(report).getBytes(StandardCharsets.UTF_8));
        return report;
    }

    private Built pretrainHost() throws IOException {
        String trainSha = AtomicFiles.sha256(corpora.general().train());
        Gpt2Config shape = ShapeSpec.parse("host shape", config.hostShape(), config.ctx(), Gpt2Tokenizer.VOCAB_SIZE);
        TrainingOptions options = new TrainingOptions(0f, config.hostLr(), config.hostEpochs(), config.batch(),
                config.seed(), 1f, SAVE_EVERY, 0.5f);
        StageDir stage = StageDir.of(work, "host", StageDir.inputs("shape", shape, "options", options, "corpus", trainSha,
                "tokenizer", vocabulary.sha256()));
        Path gguf = stage.resolve("host.gguf");
        if (stage.done(Built.class).isPresent()) {
            log.println("host: cached " + gguf);
            return stage.done(Built.class).get();
        }
        CorpusWindows data = CorpusWindows.read(List.of(corpora.general().train()), tokenizer::encode,
                Gpt2Tokenizer.END_OF_TEXT, config.ctx(), Gpt2Tokenizer.VOCAB_SIZE);
        sizes.put("host_train_tokens", data.tokenCount());
        log.printf(Locale.ROOT, "host: pretraining %s on %,d tokens of %s%n", config.hostShape(), data.tokenCount(),
                corpora.generalName());
        Map<String, String> meta = Map.of("memdec.kind", "host", "memdec.corpus_sha256", trainSha);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            TrainingRun.Result r = new TrainingRun(manager, shape, Gpt2Lm.randomInit(shape, config.seed()), data, null,
                    options, stage.resolve("train"), meta, null).progressTo(log).run();
            export(manager, r.checkpoint(), GgmlType.F32, meta, gguf);
        }
        return stage.finish(new Built(gguf));
    }

    private Path datastore(Built host) throws IOException {
        String corpusSha = AtomicFiles.sha256(corpora.domain().train());
        DatastoreBuilder.Options options = new DatastoreBuilder.Options(config.ctx(), config.ctx() / 2,
                KeyType.FFN_INPUT, config.threads());
        StageDir stage = StageDir.of(work, "datastore", StageDir.inputs("host", host.sha256(), "corpus", corpusSha,
                "options", options));
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
                    });
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
            StageDir stage = StageDir.of(work, "knn", StageDir.inputs("datastore", ds.manifestSha256(), "config", knn));
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
                m = KnnBuilder.build(ds, dir, knn, bar::stepBy);
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
                AtomicFiles.sha256(knnDir.resolve(KnnManifest.FILE)), "options", options));
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
                     tokenizer::encode);
             Gpt2Lm init = GgufModels.load(manager, host.path()).model()) {
            sizes.put("memory_train_windows", data.size());
            log.printf(Locale.ROOT, "memory: training on %,d windows of %s (kNN targets, beta %.2f), from the host%n",
                    data.size(), corpora.domainName(), config.beta());
            TrainingWindows windows = data;
            TrainingRun.Result r = new TrainingRun(manager, init.config(), init.asSource(), windows, null, options,
                    stage.resolve("train"), meta, null).progressTo(log).run();
            export(manager, r.checkpoint(), GgmlType.F32, meta, stage.resolve("memory-f32.gguf"));
            export(manager, r.checkpoint(), GgmlType.Q8_0, meta, stage.resolve("memory-q8_0.gguf"));
        }
        Path q8 = stage.resolve("memory-q8_0.gguf");
        return stage.finish(new Built(q8));
    }

    private void export(NDManager manager, Path checkpoint, GgmlType type, Map<String, String> meta, Path out)
            throws IOException {
        TrainingState state = Checkpoint.readState(checkpoint);
        try (Gpt2Lm model = Gpt2Lm.create(manager, state.shape(), Checkpoint.modelTensors(manager, checkpoint))) {
            Gpt2GgufExporter.write(state.shape(), new Gpt2LmWeights(model), vocabulary, type, meta, out);
        }
    }

    /** The measurements, cached like the other stages: a second run with the same models and texts prints at once. */
    private DemoReport evaluate(Built host, Built memory, Path datastoreDir, Path knnDir) throws IOException {
        StageDir stage = StageDir.of(work, "evaluate", StageDir.inputs("host", host.sha256(), "memory", memory.sha256(),
                "knn", AtomicFiles.sha256(knnDir.resolve(KnnManifest.FILE)),
                "domain_valid", AtomicFiles.sha256(corpora.domain().valid()),
                "domain_test", AtomicFiles.sha256(corpora.domain().test()),
                "general_test", AtomicFiles.sha256(corpora.general().test()), "config", config));
        if (stage.done(DemoReport.class).isPresent()) {
            log.println("evaluate: cached " + stage.path());
            return stage.done(DemoReport.class).get();
        }
        return stage.finish(measure(host, memory, datastoreDir, knnDir));
    }

    private DemoReport measure(Built host, Built memory, Path datastoreDir, Path knnDir) throws IOException {
        RuntimeOptions runtime = RuntimeOptions.defaults().withThreads(config.threads()).withContextSize(config.ctx());
        List<Double> lambdas = config.lambdas();
        int[] domainValidTokens = tokens(corpora.domain().valid());
        int[] domainTestTokens = tokens(corpora.domain().test());
        int[] generalTestTokens = tokens(corpora.general().test());
        DemoReport.Row knnRow;
        double knnLambda;
        try (Datastore ds = Datastore.open(datastoreDir);
             FaissIndex index = FaissIndex.read(knnDir.resolve(KnnManifest.INDEX_FILE))) {
            KnnLm.Scores valid = knnScores(host, index, ds, "kNN-LM domain validation", domainValidTokens);
            knnLambda = valid.bestLambda(lambdas);
            knnRow = new DemoReport.Row(KNN_LM,
                    knnScores(host, index, ds, "kNN-LM domain test", domainTestTokens).perplexity(knnLambda),
                    knnScores(host, index, ds, "kNN-LM general test", generalTestTokens).perplexity(knnLambda));
        }
        try (HostModel h = HostModel.open(host.path(), runtime); MemoryModel m = MemoryModel.open(memory.path(), runtime)) {
            h.attach(m);
            PerplexityReport domainValid = perplexity(h, "domain validation", domainValidTokens, lambdas);
            double lambda = domainValid.best().orElseThrow().lambda();
            PerplexityReport domainTest = perplexity(h, "domain test", domainTestTokens, lambdas);
            PerplexityReport generalTest = perplexity(h, "general test", generalTestTokens, lambdas);
            List<DemoReport.SweepPoint> sweep = new ArrayList<>();
            for (int i = 0; i < lambdas.size(); i++) {
                sweep.add(new DemoReport.SweepPoint(lambdas.get(i), domainValid.joint().get(i).ppl(),
                        domainTest.joint().get(i).ppl(), generalTest.joint().get(i).ppl()));
            }
            int chosen = lambdas.indexOf(lambda);
            int zero = lambdas.indexOf(0.0);
            List<DemoReport.Row> table = List.of(
                    new DemoReport.Row(HOST, domainTest.hostPpl(), generalTest.hostPpl()),
                    knnRow,
                    new DemoReport.Row(MEMORY,
                            domainTest.joint().get(chosen).ppl(), generalTest.joint().get(chosen).ppl()));
            double identity = Math.abs(domainTest.joint().get(zero).ppl() - domainTest.hostPpl()) / domainTest.hostPpl();
            LambdaSweepPlot.write(work.resolve("lambda-sweep.png"), sweep, new DemoReport.SweepPoint(0,
                    domainValid.hostPpl(), domainTest.hostPpl(), generalTest.hostPpl()), lambda);
            List<DemoReport.Continuation> continuations = new ArrayList<>();
            for (String prompt : config.prompts()) {
                GenerationRequest request = GenerationRequest.of(prompt).withMaxTokens(config.generateTokens());
                continuations.add(new DemoReport.Continuation(prompt, h.complete(request.withLambda(0)).text(),
                        h.complete(request.withLambda(lambda)).text()));
            }
            sizes.put("domain_test_tokens", domainTest.tokens());
            sizes.put("general_test_tokens", generalTest.tokens());
            return new DemoReport(config.name(), corpora.generalName(), corpora.domainName(), sizes, table, lambda,
                    knnLambda, identity, sweep, continuations, Map.of(), 0);
        }
    }

    /** JTokkit's r50k tokenization equals llama.cpp's for these GGUFs (tested in tests/), without a BOS. */
    private int[] tokens(Path text) throws IOException {
        return tokenizer.encode(Files.readString(text, StandardCharsets.UTF_8));
    }

    private KnnLm.Scores knnScores(Built host, FaissIndex index, Datastore ds, String what, int[] tokens)
            throws IOException {
        int windows = SlidingWindows.of(tokens.length, config.ctx(), config.ctx() / 2).size();
        try (ProgressBar bar = bar(what, windows, 0, " windows")) {
            return KnnLm.score(host.path(), index, ds, tokens, config.ctx(), config.ctx() / 2, config.knnK(),
                    config.knnTemperature(), config.threads(), bar::stepTo);
        }
    }

    private PerplexityReport perplexity(HostModel h, String what, int[] tokens, List<Double> lambdas) {
        int windows = SlidingWindows.of(tokens.length, config.ctx(), config.ctx() / 2).size();
        try (ProgressBar bar = bar("ppl " + what, windows, 0, " windows")) {
            return h.perplexity(tokens, config.ctx(), config.ctx() / 2, lambdas, 1.0, done -> bar.stepTo(done));
        }
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
        long t0 = System.nanoTime();
        T result = stage.run();
        seconds.put(name, (System.nanoTime() - t0) / 1e9);
        return result;
    }
}

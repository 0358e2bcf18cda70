package dev.memdec.trainer.train;

import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.trainer.model.CausalLm;
import dev.memdec.trainer.model.Gpt2Lm;
import dev.memdec.trainer.model.LmConfig;
import dev.memdec.trainer.model.TrainableModel;
import dev.memdec.trainer.model.TensorSource;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * One training run of a model of any family ({@link LmConfig}: a token LM as a Memory Decoder or a host in
 * pretraining, or an MLP memory reading the host's hidden states) on {@link TrainingWindows} with the distillation
 * loss: windows in order,
 * {@code batch} per AdamW step, checkpoints at the end of every epoch (and every {@code saveEvery} steps), the
 * validation perplexity of the memory (and with a host, the joint one) per epoch and a PNG of the curves.
 *
 * <p>A run that finds a checkpoint in its output directory resumes from it and reaches the same parameters as
 * an uninterrupted run: data order is a function of the step, the initialisation of the seed, and the
 * optimizer moments are part of the checkpoint.
 */
public final class TrainingRun {

    private static final System.Logger LOG = System.getLogger(TrainingRun.class.getName());

    /** Where a run ended; {@code stopped} when a {@link #stopWhen stop request} ended it before its last step. */
    public record Result(long steps, Path checkpoint, TrainingState state, boolean stopped) {
    }

    private final NDManager manager;
    private final LmConfig shape;
    private final TensorSource init;
    private final TrainingWindows train;
    private final TrainingWindows valid;
    private final TrainingOptions options;
    private final Path out;
    private final Map<String, String> metadata;
    private final CausalLm host;
    private PrintStream progress = System.err;
    private BooleanSupplier stopRequested = () -> false;

    /**
     * @param init     initial tensors when no checkpoint exists yet
     * @param valid    validation windows (may be empty: then no perplexity is reported)
     * @param metadata provenance kept in the checkpoints for the exported GGUF
     * @param host     frozen host for the joint perplexity, or null
     */
    public TrainingRun(NDManager manager, LmConfig shape, TensorSource init, TrainingWindows train,
                       TrainingWindows valid, TrainingOptions options, Path out, Map<String, String> metadata,
                       CausalLm host) {
        if (train.size() < 1) {
            throw new IllegalArgumentException("training data " + train.fingerprint() + " has no windows");
        }
        if (train.vocab() > shape.vocab()) {
            throw new IllegalArgumentException("training data ids go up to " + train.vocab()
                    + " but the model vocabulary has " + shape.vocab() + " tokens");
        }
        this.manager = manager;
        this.shape = shape;
        this.init = init;
        this.train = train;
        this.valid = valid;
        this.options = options;
        this.out = out;
        this.metadata = Map.copyOf(metadata);
        this.host = host;
    }

    /** A run of a GPT-2 of {@code shape} (as the demo starts its runs). */
    public TrainingRun(NDManager manager, Gpt2Config shape, TensorSource init, TrainingWindows train,
                       TrainingWindows valid, TrainingOptions options, Path out, Map<String, String> metadata,
                       CausalLm host) {
        this(manager, new Gpt2Lm.Spec(shape), init, train, valid, options, out, metadata, host);
    }

    /** Sends the progress bar to {@code stream}, or nowhere when null. */
    public TrainingRun progressTo(PrintStream stream) {
        this.progress = stream;
        return this;
    }

    /**
     * Checks {@code stop} after every step: once it is true the run writes a checkpoint of that step and returns
     * (see {@link dev.memdec.trainer.stop.GracefulStop}).
     */
    public TrainingRun stopWhen(BooleanSupplier stop) {
        this.stopRequested = stop;
        return this;
    }

    public long stepsPerEpoch() {
        return (train.size() + options.batch() - 1) / options.batch();
    }

    public long totalSteps() {
        return stepsPerEpoch() * options.epochs();
    }

    public Result run() throws IOException {
        return runUntil(Long.MAX_VALUE);
    }

    /**
     * Trains until step {@code stopStep} (exclusive) or the end, resuming from the newest checkpoint; the
     * learning-rate schedule always spans the whole run. Writes a checkpoint where it stops, also when a stop
     * request ends it early.
     *
     * @throws TrainingDivergedException on a non-finite loss or gradient norm (no update is applied then)
     */
    public Result runUntil(long stopStep) throws IOException {
        long total = totalSteps();
        if (options.warmup() >= total) {
            throw new IllegalArgumentException("--warmup " + options.warmup() + " must be less than the run's " + total
                    + " optimizer steps");
        }
        Files.createDirectories(out);
        Optional<Path> resumeFrom = Checkpoint.latest(out);
        TrainingState state;
        TensorSource source = init;
        if (resumeFrom.isPresent()) {
            state = Checkpoint.readState(resumeFrom.get());
            requireSameRun(resumeFrom.get(), state);
            source = Checkpoint.modelTensors(manager, resumeFrom.get());
            LOG.log(System.Logger.Level.INFO, "resuming from {0} at step {1}", resumeFrom.get(), state.step());
        } else {
            state = TrainingState.of(shape, options, train.fingerprint(), metadata, 0, List.of(), List.of());
        }
        List<TrainingState.StepLoss> losses = new ArrayList<>(state.steps());
        List<TrainingState.EpochResult> epochs = new ArrayList<>(state.epochs());
        Path lastCheckpoint = resumeFrom.orElse(null);
        long step = state.step();
        long end = Math.min(total, stopStep);
        boolean stopped = false;
        try (NDManager runManager = manager.newSubManager();
             TrainableModel model = shape.create(runManager, source);
             AdamW optimizer = new AdamW(runManager, model.parameters(),
                     AdamW.Settings.reference(options.lr(), options.clip(), total, options.warmup()));
             ProgressBar bar = progressBar(step, total)) {
            if (resumeFrom.isPresent()) {
                Checkpoint.loadOptimizer(runManager, resumeFrom.get(), optimizer);
            }
            model.setTrainable(true);
            long epochStart = System.nanoTime();
            long epochTokens = 0;
            while (step < end) {
                long tokens = trainStep(runManager, model, optimizer, step, losses, lastCheckpoint);
                epochTokens += tokens;
                step++;
                TrainingState.StepLoss last = losses.get(losses.size() - 1);
                double seconds = (System.nanoTime() - epochStart) / 1e9;
                double tokensPerSecond = epochTokens / Math.max(seconds, 1e-9);
                if (bar != null) {
                    bar.stepTo(step);
                    bar.setExtraMessage(String.format("loss %.4f %s%.0f tok/s", last.loss(),
                            options.beta() > 0 ? String.format("(kl %.3f ce %.3f) ", last.kl(), last.ce()) : "",
                            tokensPerSecond));
                }
                boolean epochEnd = step % stepsPerEpoch() == 0;
                if (epochEnd) {
                    int epoch = (int) (step / stepsPerEpoch());
                    Perplexity ppl = validate(runManager, model);
                    epochs.add(new TrainingState.EpochResult(epoch, step, ppl.memory(), ppl.joint(), tokensPerSecond));
                    // Without validation windows (the demo holds out its own text) there is no perplexity to report.
                    LOG.log(System.Logger.Level.INFO, () -> String.format(java.util.Locale.ROOT,
                            "epoch %d: %s, %.0f tokens/s", epoch, Double.isNaN(ppl.memory()) ? "no validation windows"
                                    : String.format(java.util.Locale.ROOT, "validation perplexity %.3f (model)%s", ppl.memory(),
                                    Double.isNaN(ppl.joint()) ? ""
                                            : String.format(java.util.Locale.ROOT, ", %.3f (joint)", ppl.joint())),
                            tokensPerSecond));
                    epochStart = System.nanoTime();
                    epochTokens = 0;
                }
                stopped = step < end && stopRequested.getAsBoolean();
                if (epochEnd || step == end || stopped || (options.saveEvery() > 0 && step % options.saveEvery() == 0)) {
                    state = TrainingState.of(shape, options, train.fingerprint(), metadata, step, losses, epochs);
                    lastCheckpoint = Checkpoint.save(out, model, optimizer, state);
                    writePlot(state);
                }
                if (stopped) {
                    LOG.log(System.Logger.Level.INFO, "stopped on request after step {0} of {1}; checkpoint {2}", step,
                            total, lastCheckpoint);
                    break;
                }
            }
        }
        return new Result(step, lastCheckpoint, state, stopped);
    }

    /**
     * Redraws loss.png, except while the JVM shuts down after a stop request: AWT cannot start then (it registers
     * a shutdown hook, which fails with "Shutdown in progress"); the resumed run redraws the plot.
     */
    private void writePlot(TrainingState state) throws IOException {
        if (stopRequested.getAsBoolean()) {
            return;
        }
        try {
            LossPlot.write(out.resolve("loss.png"), state);
        } catch (IllegalStateException e) {
            if (!stopRequested.getAsBoolean()) {
                throw e;
            }
            LOG.log(System.Logger.Level.INFO, "loss.png not redrawn while stopping: {0}", e.getMessage());
        }
    }

    private long trainStep(NDManager runManager, TrainableModel model, AdamW optimizer, long step,
                           List<TrainingState.StepLoss> losses, Path lastCheckpoint) {
        int first = (int) ((step % stepsPerEpoch()) * options.batch());
        int last = Math.min(train.size(), first + options.batch());
        List<KnnWindow> windows = new ArrayList<>(last - first);
        int[] indices = new int[last - first];
        for (int i = first; i < last; i++) {
            windows.add(train.window(i));
            indices[i - first] = i;
        }
        long start = System.nanoTime();
        try (NDManager stepManager = runManager.newSubManager()) {
            Batch batch = Batch.pack(stepManager, windows, indices, shape.vocab(), options.beta() > 0);
            DistillationLoss.Terms terms;
            try (GradientCollector collector = stepManager.getEngine().newGradientCollector()) {
                terms = DistillationLoss.computeFused(model.scoredHidden(batch.tokens(), batch.rows(), batch.keys()),
                        model.outputWeight(), batch, options.beta());
                float loss = terms.totalValue();
                if (!Float.isFinite(loss)) {
                    throw diverged("loss is " + loss, step, first, last, lastCheckpoint);
                }
                collector.backward(terms.backward());
            }
            double gradNorm = optimizer.gradientNorm();
            if (!Double.isFinite(gradNorm)) {
                optimizer.zeroGradients();
                throw diverged("gradient norm is " + gradNorm, step, first, last, lastCheckpoint);
            }
            optimizer.update(step, gradNorm);
            losses.add(new TrainingState.StepLoss(step, terms.totalValue(), terms.klValue(), terms.ceValue(),
                    batch.inputTokens(), (System.nanoTime() - start) / 1e9));
            return batch.inputTokens();
        }
    }

    private TrainingDivergedException diverged(String what, long step, int first, int last, Path lastCheckpoint) {
        return new TrainingDivergedException(what + " at step " + step + " (epoch " + (step / stepsPerEpoch() + 1)
                + ", training windows " + first + ".." + (last - 1) + "); stopped without applying it. "
                + (lastCheckpoint == null ? "No checkpoint was written yet."
                        : "The last good checkpoint is " + lastCheckpoint + "."));
    }

    private Perplexity validate(NDManager runManager, TrainableModel model) {
        if (valid == null || valid.size() == 0) {
            return new Perplexity(Double.NaN, Double.NaN, Double.NaN, 0);
        }
        return Perplexity.evaluate(runManager, model, host, options.lambda(), valid, options.batch());
    }

    private void requireSameRun(Path checkpoint, TrainingState saved) {
        Map<String, Object> mismatches = new LinkedHashMap<>();
        if (!shape.equals(saved.model())) {
            mismatches.put("shape", saved.model());
        }
        if (!saved.options().equals(options)) {
            mismatches.put("options", saved.options());
        }
        if (!saved.data().equals(train.fingerprint())) {
            mismatches.put("data", saved.data());
        }
        if (!mismatches.isEmpty()) {
            throw new IllegalArgumentException(out + " already holds checkpoint " + checkpoint.getFileName()
                    + " of another run (it has " + mismatches + "); resume with the same flags and data or use another --out");
        }
    }

    private ProgressBar progressBar(long step, long total) {
        if (progress == null) {
            return null;
        }
        return new ProgressBarBuilder().setTaskName("train").setInitialMax(total).startsFrom(step, java.time.Duration.ZERO)
                .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(progress))
                .setUpdateIntervalMillis(500).build();
    }
}

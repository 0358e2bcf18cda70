package dev.memdec.trainer.cli;

import ai.djl.ndarray.NDManager;
import dev.memdec.trainer.train.TorchDevice;
import dev.memdec.trainer.train.TorchThreads;
import dev.memdec.trainer.train.TrainingOptions;
import dev.memdec.trainer.train.TrainingWindows;
import picocli.CommandLine.Option;

/** Flags shared by {@code train} and {@code pretrain}. */
final class TrainingFlags {

    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate, decayed linearly to 0 (default ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--warmup", defaultValue = "0",
            description = "Optimizer steps of linear learning-rate warmup before the linear decay (default ${DEFAULT-VALUE}: none, the reference's schedule).")
    int warmup;

    @Option(names = "--epochs", defaultValue = "1", description = "Passes over the training windows (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", defaultValue = "8", description = "Windows per optimizer step (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seq", description = "Tokens per window, at most the model context (pretrain: default 1024; train: the datastore's window).")
    Integer seq;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the random initialisation (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--clip", defaultValue = "1.0", description = "Maximum gradient L2 norm (default ${DEFAULT-VALUE}).")
    float clip;

    @Option(names = "--save-every", defaultValue = "0", description = "Also checkpoint every N steps (default 0: each epoch only).")
    int saveEvery;

    @Option(names = "--valid-fraction", defaultValue = "0.05",
            description = "Fraction of the windows, taken from the end, held out for validation perplexity (default ${DEFAULT-VALUE}).")
    double validFraction;

    @Option(names = "--threads", description = "PyTorch intra-op threads (default: the number of CPUs).")
    Integer threads;

    @Option(names = "--device", defaultValue = "cpu",
            description = "cpu or gpu (default ${DEFAULT-VALUE}); gpu needs DJL pointed at a CUDA libtorch 2.7.1 (README).")
    String device;

    @Option(names = "--json", description = "Print a JSON summary instead of sentences.")
    boolean json;

    /** Applies --threads (or the number of CPUs). */
    void applyThreads() {
        TorchThreads.use(threads != null ? threads : Runtime.getRuntime().availableProcessors());
    }

    /** The base manager of a run on --device. */
    NDManager newManager() {
        return NDManager.newBaseManager(TorchDevice.select(device), "PyTorch");
    }

    TrainingOptions options(float beta, float lambda) {
        return new TrainingOptions(beta, lr, epochs, batch, seed, clip, saveEvery, lambda, warmup);
    }

    /** Splits {@code data} into training and validation windows: {train, valid}. */
    TrainingWindows[] split(TrainingWindows data) {
        return TrainingWindows.holdOut(data, validFraction);
    }
}

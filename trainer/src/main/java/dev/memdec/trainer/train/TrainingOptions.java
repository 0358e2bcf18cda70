package dev.memdec.trainer.train;

/**
 * What a training run does. A resumed run must use the same options as the run that wrote the checkpoint.
 *
 * @param beta      weight of the KL term (reference α = 0.5); 0 trains on cross-entropy only
 * @param lr        peak learning rate, decayed linearly to 0
 * @param epochs    passes over the training windows
 * @param batch     windows per optimizer step
 * @param seed      seeds the random initialisation
 * @param clip      maximum gradient L2 norm
 * @param saveEvery also checkpoint every this many steps (0: only at the end of each epoch)
 * @param lambda    weight of the memory in the joint validation perplexity with a host
 * @param warmup    optimizer steps of linear learning-rate warmup before the decay (0: the reference's schedule)
 */
public record TrainingOptions(float beta, float lr, int epochs, int batch, long seed, float clip, int saveEvery,
                              float lambda, int warmup) {

    /** Options with the reference's schedule (no warmup). */
    public TrainingOptions(float beta, float lr, int epochs, int batch, long seed, float clip, int saveEvery,
                           float lambda) {
        this(beta, lr, epochs, batch, seed, clip, saveEvery, lambda, 0);
    }

    public TrainingOptions {
        require(beta >= 0f && beta <= 1f, "--beta", "in [0, 1]", beta);
        require(lr > 0f && lr < 1f, "--lr", "in (0, 1)", lr);
        require(epochs >= 1 && epochs <= 100_000, "--epochs", "in [1, 100000]", epochs);
        require(batch >= 1 && batch <= 4096, "--batch", "in [1, 4096]", batch);
        require(clip > 0f, "--clip", "> 0", clip);
        require(saveEvery >= 0, "--save-every", ">= 0", saveEvery);
        require(lambda > 0f && lambda < 1f, "--lambda", "in (0, 1)", lambda);
        require(warmup >= 0, "--warmup", ">= 0", warmup);
    }

    private static void require(boolean ok, String flag, String range, Object value) {
        if (!ok) {
            throw new IllegalArgumentException(flag + " must be " + range + ", got " + value);
        }
    }
}

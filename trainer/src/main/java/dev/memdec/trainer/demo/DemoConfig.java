package dev.memdec.trainer.demo;

import dev.memdec.trainer.corpus.SplitPlan;
import java.util.List;

/**
 * Everything that decides what the demo computes. Stage caches are keyed by the parts of this record a stage
 * reads (plus the hashes of its inputs), so changing a setting recomputes only the stages downstream of it.
 *
 * @param name           preset name, for the report
 * @param general        split of the general (host) corpus
 * @param domain         split of the domain corpus
 * @param vocab          size of the byte-level BPE vocabulary learned from the general training text (the host's
 *                       tokenizer, and so the memory's)
 * @param hostShape      LAYERSxEMBDxHEADS of the host; the memory starts from the trained host (same shape)
 * @param ctx            model context = training window = evaluation window, in tokens
 * @param hostEpochs     host pretraining passes over the general training text
 * @param hostBatch      windows per optimizer step of the host's pretraining
 * @param hostWarmup     optimizer steps of linear learning-rate warmup of the host's pretraining
 * @param memoryEpochs   memory training passes over the domain datastore's windows; also the DAPT host's passes
 *                       over the domain training text (the same budget, with the same batch and learning rate)
 * @param batch          windows per optimizer step
 * @param replay         general-text windows replayed per domain window in the memory's training (0: domain only), scored
 *                       with cross-entropy; the "DAPT host + replay" baseline is fine-tuned with the same interleaving
 * @param mlpBlocks      residual blocks of the MLP memory (trained with the memory's batch and learning rate)
 * @param mlpEpochs      the MLP memory's passes over the datastore's windows (it starts from random weights, and a pass
 *                       costs a fraction of the Memory Decoder's)
 * @param hostLr         host peak learning rate
 * @param memoryLr       memory (and DAPT) peak learning rate
 * @param beta           weight of KL(p_kNN ‖ p_mem) in the memory loss (the rest is cross-entropy)
 * @param knnK           neighbours per datastore entry
 * @param knnTemperature T in softmax(−d/T)
 * @param lambdas        λ grid swept on the validation texts (must contain 0)
 * @param lambdaRule     how λ is chosen from the sweep on the validation texts, for the memory and the kNN-LM
 * @param prompts        domain prompts continued with and without the memory
 * @param generateTokens tokens generated per prompt
 * @param threads        CPU threads for PyTorch and llama.cpp
 * @param seed           seeds initialisation and the sampled continuations
 */
public record DemoConfig(String name, SplitPlan general, SplitPlan domain, int vocab, String hostShape, int ctx,
                         int hostEpochs, int hostBatch, int hostWarmup, int memoryEpochs, int batch, double replay, int mlpBlocks, int mlpEpochs, float hostLr, float memoryLr, float beta, int knnK,
                         double knnTemperature, List<Double> lambdas, LambdaRule lambdaRule, List<String> prompts,
                         int generateTokens, int threads, long seed) {

    /** Prompts in the style of the KJV domain corpus. */
    public static final List<String> KJV_PROMPTS = List.of("And the LORD spake unto Moses, saying,",
            "In the beginning", "And it came to pass, when the king");

    /**
     * The λ grid: 0 (the host alone, the identity check) to 0.95 in steps of 0.05 — fine enough that the rule's
     * general-text bound, not the grid, decides how far each mixture may go (one scoring pass serves every λ).
     */
    public static final List<Double> LAMBDAS = java.util.stream.IntStream.rangeClosed(0, 19).mapToObj(i -> i / 20.0)
            .toList();

    public DemoConfig {
        lambdas = List.copyOf(lambdas);
        prompts = List.copyOf(prompts);
        if (!lambdas.contains(0.0)) {
            throw new IllegalArgumentException("demo lambdas must contain 0 (the host alone), got " + lambdas);
        }
        for (double l : lambdas) {
            if (!(l >= 0 && l < 1)) {
                throw new IllegalArgumentException("demo lambda must be in [0, 1), got " + l);
            }
        }
        if (lambdaRule == null) {
            throw new IllegalArgumentException("demo lambda rule must not be null");
        }
        if (ctx < 16 || ctx > 1024) {
            throw new IllegalArgumentException("demo ctx must be in [16, 1024], got " + ctx);
        }
        if (vocab < 258) {
            throw new IllegalArgumentException("demo vocabulary must be >= 258 (bytes, end of text, a merge), got "
                    + vocab);
        }
        if (!(replay >= 0 && replay <= 16)) {
            throw new IllegalArgumentException("demo replay ratio must be in [0, 16], got " + replay);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        }
        if (generateTokens < 1) {
            throw new IllegalArgumentException("generated tokens must be >= 1, got " + generateTokens);
        }
    }

    /** Every Brown document that is neither validation nor test goes to the host's training text. */
    static final long ALL = Long.MAX_VALUE;
    /** The host, its tokenizer and its training text are the same in both presets (one shipped host serves both). */
    static final int VOCAB = 1024;
    static final String HOST_SHAPE = "4x256x4";
    static final int CTX = 128;
    /** Three passes, warmed up over 100 steps to a peak of 2e-3 (without a warmup 2e-3 stalls at the unigram level). */
    static final int HOST_EPOCHS = 3;
    static final int HOST_WARMUP = 100;
    static final float HOST_LR = 2e-3f;
    /** General windows replayed per domain window in the memory's (and DAPT + replay's) training. */
    static final double REPLAY = 0.5;
    /** Two residual MLP blocks at the host's width (1.3M parameters with the output head). */
    static final int MLP_BLOCKS = 2;
    static final int MLP_EPOCHS = 12;

    /**
     * The CI preset: the same host and tokenizer, the memory and DAPT on 30 kB of the KJV for 2 passes, the MLP memory
     * for 6, k = 256, shorter held-out texts (prefixes of the full preset's documents, so the host's training text is
     * the same).
     */
    public static DemoConfig quick(int threads) {
        return new DemoConfig("quick", new SplitPlan(10, ALL, 14_000, 20_000), new SplitPlan(20, 30_000, 12_000, 20_000),
                VOCAB, HOST_SHAPE, CTX, HOST_EPOCHS, 16, HOST_WARMUP, 2, 8, REPLAY, MLP_BLOCKS, MLP_EPOCHS / 2, HOST_LR, 2e-3f, 0.5f, 256, 16, LAMBDAS, LambdaRule.DEFAULT,
                KJV_PROMPTS, 24, threads, 42);
    }

    /** The README demo: the shipped host, the memory on 150 kB of the KJV (Genesis onwards). */
    public static DemoConfig full(int threads) {
        return new DemoConfig("full", new SplitPlan(10, ALL, 40_000, 60_000), new SplitPlan(20, 150_000, 30_000, 40_000),
                VOCAB, HOST_SHAPE, CTX, HOST_EPOCHS, 16, HOST_WARMUP, 4, 8, REPLAY, MLP_BLOCKS, MLP_EPOCHS, HOST_LR, 2e-3f, 0.5f, 1024, 16, LAMBDAS, LambdaRule.DEFAULT,
                KJV_PROMPTS, 32, threads, 42);
    }
}

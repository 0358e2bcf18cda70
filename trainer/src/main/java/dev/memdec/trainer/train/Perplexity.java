package dev.memdec.trainer.train;

import ai.djl.ndarray.NDManager;
import dev.memdec.converter.eval.LogSpace;
import dev.memdec.trainer.model.CausalLm;
import dev.memdec.trainer.model.TrainableModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Token-weighted perplexity exp(Σ NLL / Σ scored tokens) of the memory alone and, with a host, of the joint
 * distribution (1−λ)·p_host + λ·p_mem computed in log space (reference-spec §7.1, §7.3).
 *
 * @param memory perplexity of the memory alone
 * @param joint  joint perplexity, NaN without a host
 * @param host   perplexity of the host alone, NaN without a host
 * @param tokens scored tokens
 */
public record Perplexity(double memory, double joint, double host, long tokens) {

    /** Evaluates without gradients (call outside any gradient collector). */
    public static Perplexity evaluate(NDManager manager, TrainableModel memory, CausalLm host, float lambda,
                                      TrainingWindows windows, int batchSize) {
        if (host != null && host.spec().vocab() != memory.spec().vocab()) {
            throw new IllegalArgumentException("host vocabulary " + host.spec().vocab() + " differs from the memory's "
                    + memory.spec().vocab());
        }
        double logOneMinusLambda = Math.log1p(-lambda);
        double logLambda = Math.log(lambda);
        double nllMemory = 0;
        double nllJoint = 0;
        double nllHost = 0;
        long tokens = 0;
        for (int start = 0; start < windows.size(); start += batchSize) {
            int end = Math.min(windows.size(), start + batchSize);
            List<KnnWindow> list = new ArrayList<>();
            int[] indices = new int[end - start];
            for (int i = start; i < end; i++) {
                list.add(windows.window(i));
                indices[i - start] = i;
            }
            try (NDManager step = manager.newSubManager()) {
                Batch batch = Batch.pack(step, list, indices, memory.spec().vocab(), false);
                float[] lm = labelLogProbs(memory, batch);
                float[] lh = host == null ? null : labelLogProbs(host, batch);
                for (int r = 0; r < lm.length; r++) {
                    nllMemory -= lm[r];
                    if (lh != null) {
                        nllHost -= lh[r];
                        nllJoint -= LogSpace.logAddExp(logOneMinusLambda + lh[r], logLambda + lm[r]);
                    }
                }
                tokens += lm.length;
            }
        }
        double nan = Double.NaN;
        return new Perplexity(Math.exp(nllMemory / tokens), host == null ? nan : Math.exp(nllJoint / tokens),
                host == null ? nan : Math.exp(nllHost / tokens), tokens);
    }

    private static float[] labelLogProbs(TrainableModel model, Batch batch) {
        return model.scoredLogits(batch.tokens(), batch.rows(), batch.keys()).logSoftmax(-1)
                .gather(batch.labels(), 1).toFloatArray();
    }
}

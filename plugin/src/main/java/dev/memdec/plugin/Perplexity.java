package dev.memdec.plugin;

import dev.memdec.converter.eval.SlidingWindows;
import dev.memdec.plugin.mix.LogMixer;
import dev.memdec.plugin.mix.MixMode;
import dev.memdec.plugin.mix.Mixing;
import dev.memdec.plugin.retrieval.KnnDistribution;
import dev.memdec.plugin.retrieval.KnnRetriever;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Sliding-window perplexity (reference-spec §2.3, §7.3) of the host and of host + memory at many λ. Each window
 * is decoded ONCE per model, in batches; for every scored position the two log-softmax normalizers are computed
 * once and every λ then costs one logaddexp (a logit-space blend costs one pass over the vocabulary per λ, as it
 * has its own normalizer). Runs on the inference thread.
 */
final class Perplexity {

    private Perplexity() {
    }

    /**
     * @param knn        live kNN retrieval mixed into the host at every λ of {@code knnLambdas}, or null; the host
     *                   context must capture {@link KnnRetriever#keyTensor()}
     */
    static PerplexityReport evaluate(JointDecoder decoder, int hostVocab, int sharedVocab, int[] tokens, int window,
            int stride, List<Mixing> mixings, KnnRetriever knn, List<Double> knnLambdas, IntConsumer progress) {
        if (tokens.length < 2) {
            throw new IllegalArgumentException("the text has " + tokens.length
                    + " token(s); perplexity needs at least 2");
        }
        List<SlidingWindows.Window> windows = SlidingWindows.of(tokens.length, window, stride);
        boolean mixed = !mixings.isEmpty();
        LogMixer mixer = new LogMixer(decoder.mixingTeam());
        float[] host = new float[hostVocab];
        float[] memory = mixed ? new float[sharedVocab + 256] : null;
        double hostNll = 0;
        double[] jointNll = new double[mixings.size()];
        double[] knnNll = new double[knn == null ? 0 : knnLambdas.size()];
        long scored = 0;
        int done = 0;
        for (SlidingWindows.Window w : windows) {
            if (w.scoredCount() == 0) {
                continue;
            }
            decoder.clear();
            // The prediction at absolute position p scores token p + 1; positions firstScored-1 .. end-2 are needed.
            int batch = decoder.nBatch();
            for (int start = w.begin(); start < w.end(); start += batch) {
                int end = Math.min(w.end(), start + batch);
                int[] chunk = java.util.Arrays.copyOfRange(tokens, start, end);
                boolean[] outputs = new boolean[chunk.length];
                boolean any = false;
                for (int p = start; p < end; p++) {
                    outputs[p - start] = p >= w.firstScored() - 1 && p + 1 < w.end();
                    any |= outputs[p - start];
                }
                if (!any) {
                    outputs[chunk.length - 1] = true; // llama.cpp wants at least one output row per batch
                }
                decoder.decode(chunk, outputs);
                // The captured key rows are the output rows of this chunk, in order.
                List<KnnDistribution> retrieved = null;
                if (knn != null && any) {
                    float[] keys = decoder.hostCaptured(knn.keyTensor());
                    retrieved = knn.retrieve(keys, keys.length / knn.dimension());
                }
                int outputRow = 0;
                for (int p = start; p < end; p++) {
                    if (p < w.firstScored() - 1 || p + 1 >= w.end()) {
                        continue;
                    }
                    int target = tokens[p + 1];
                    decoder.hostLogits(p - start, host);
                    double hostLse = mixer.logSumExp(host, 1f, hostVocab);
                    double hostLogProb = host[target] - hostLse;
                    hostNll -= hostLogProb;
                    if (retrieved != null) {
                        double knnLogProb = retrieved.get(outputRow).logProbability(target);
                        for (int k = 0; k < knnNll.length; k++) {
                            knnNll[k] -= KnnDistribution.mixedLogProb(hostLogProb, knnLogProb, knnLambdas.get(k));
                        }
                    }
                    outputRow++;
                    if (mixed) {
                        decoder.memoryLogits(p - start, memory);
                        double sharedHostLse = sharedVocab == hostVocab ? hostLse
                                : mixer.logSumExp(host, 1f, sharedVocab);
                        double lastTemperature = Double.NaN;
                        double memLse = 0;
                        for (int k = 0; k < mixings.size(); k++) {
                            Mixing m = mixings.get(k);
                            if (m.memoryTemperature() != lastTemperature) {
                                lastTemperature = m.memoryTemperature();
                                memLse = mixer.logSumExp(memory, (float) (1.0 / lastTemperature), sharedVocab);
                            }
                            float memLogit = target < sharedVocab ? memory[target] : Float.NEGATIVE_INFINITY;
                            double lse = m.lambda() == 0 ? hostLse : sharedHostLse;
                            boolean blend = m.mode() == MixMode.LOGIT && m.lambda() > 0 && m.lambda() < 1;
                            jointNll[k] -= blend ? mixer.blendLogProb(host, memory, sharedVocab, target, m)
                                    : LogMixer.jointLogProb(host[target], lse, memLogit, memLse, m);
                        }
                    }
                    scored++;
                }
            }
            done++;
            if (progress != null) {
                progress.accept(done);
            }
        }
        List<PerplexityReport.Joint> joint = new ArrayList<>();
        for (int k = 0; k < mixings.size(); k++) {
            Mixing m = mixings.get(k);
            joint.add(new PerplexityReport.Joint(m.lambda(), m.memoryTemperature(), jointNll[k],
                    Math.exp(jointNll[k] / scored)));
        }
        List<PerplexityReport.Joint> knnLm = new ArrayList<>();
        for (int k = 0; k < knnNll.length; k++) {
            knnLm.add(new PerplexityReport.Joint(knnLambdas.get(k), knn.temperature(), knnNll[k],
                    Math.exp(knnNll[k] / scored)));
        }
        return new PerplexityReport(scored, windows.size(), hostNll, joint, knnLm);
    }
}

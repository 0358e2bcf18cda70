package dev.memdec.plugin;

/**
 * What {@code memdec bench} measured in one run (phases alternated, medians over rounds).
 *
 * @param hostDecodeMs        one decode step (decode + greedy sample) of the host alone, ms
 * @param memoryDecodeMs      one decode step of the memory alone, ms
 * @param jointDecodeMs       one joint step (host decode, memory decode, mixing sampler, greedy), ms
 * @param mixMs               the memory sampler's share of a joint step (read candidates, mix, write back), ms
 * @param hostPrefillTps      host-alone prefill tokens per second
 * @param jointPrefillTps     joint prefill tokens per second
 * @param hostBytes           weight bytes one host decode step reads ({@link dev.memdec.plugin.bench.StepBytes}:
 *                            every tensor, but one row of a looked-up embedding table)
 * @param memoryBytes         weight bytes one memory decode step reads (the same rule)
 * @param readBandwidth       measured read bandwidth, bytes per second
 * @param peakRssBytes        peak resident set size of the process, or -1 if unknown
 * @param vocab               vocabulary length mixed
 * @param tokens              decode steps per phase and round
 * @param rounds              rounds of alternating phases
 * @param threads             threads per decode
 * @param knnDecodeMs         one kNN-LM step (host decode with key capture, FAISS search, p_kNN, mixing, greedy),
 *                            ms; NaN without a kNN retriever
 * @param knnRetrievalMs      the search + p_kNN + mixing share of a kNN-LM step, ms; NaN without a retriever
 * @param knnK                neighbours per kNN-LM step, 0 without a retriever
 * @param mlpDecodeMs         one host + MLP-memory step (host decode capturing the key, MLP forward, mixing,
 *                            greedy), ms; NaN without an MLP memory
 * @param mlpForwardMs        the MLP forward's share of that step, ms; NaN without an MLP memory
 * @param mlpBytes            the MLP weights one forward reads (as held at run time), 0 without one
 * @param mlpAloneMs          the same forward timed back to back, no host decode in between, ms; NaN without one
 * @param roundRatios         each round's joint / (host + memory) step, in round order: a round's phases run back to
 *                            back, so their median ({@link #jointOverSum()}) does not carry the drift between rounds
 *                            (the machine's bandwidth wanders by a third from minute to minute here) that a ratio of
 *                            medians does
 * @param jointMemoryDecodeMs the memory's decode inside a joint step, ms: above {@code memoryDecodeMs} when the
 *                            host's pass has evicted the memory's weights from the cache that kept them alone
 * @param jointHostDecodeMs   the host's decode inside a joint step (no sampling), ms
 */
public record BenchmarkReport(double hostDecodeMs, double memoryDecodeMs, double jointDecodeMs, double mixMs,
        double hostPrefillTps, double jointPrefillTps, long hostBytes, long memoryBytes, double readBandwidth,
        long peakRssBytes, int vocab, int tokens, int rounds, int threads, double knnDecodeMs, double knnRetrievalMs,
        int knnK, double mlpDecodeMs, double mlpForwardMs, long mlpBytes, double mlpAloneMs, double[] roundRatios,
        double jointMemoryDecodeMs, double jointHostDecodeMs) {

    public BenchmarkReport {
        roundRatios = roundRatios.clone();
    }

    /** Each round's joint / (host + memory), in round order. */
    @Override
    public double[] roundRatios() {
        return roundRatios.clone();
    }

    /** The median over rounds of each round's joint / (host + memory) step. */
    public double jointOverSum() {
        return DecodeBenchmark.median(roundRatios);
    }

    /**
     * What a joint step spends beyond its host decode, memory decode and mixing (copying the memory's logits, the
     * sampler chain, the greedy pick), ms.
     */
    public double jointOtherMs() {
        return jointDecodeMs - jointHostDecodeMs - jointMemoryDecodeMs - mixMs;
    }

    public boolean hasKnn() {
        return !Double.isNaN(knnDecodeMs);
    }

    public boolean hasMlp() {
        return !Double.isNaN(mlpDecodeMs);
    }

    /** host + memory-decoder step / host-alone step: what the Memory Decoder costs per token. */
    public double jointOverHost() {
        return jointDecodeMs / hostDecodeMs;
    }

    /** host + MLP-memory step / host-alone step; NaN without an MLP memory. */
    public double mlpOverHost() {
        return mlpDecodeMs / hostDecodeMs;
    }

    /** kNN-LM step / host-alone step; NaN without a kNN retriever. */
    public double knnOverHost() {
        return knnDecodeMs / hostDecodeMs;
    }

    /** host + MLP-memory step / host + memory-decoder step. */
    public double mlpOverJoint() {
        return mlpDecodeMs / jointDecodeMs;
    }

    /** The MLP's weights at the measured bandwidth / its measured forward: 1.0 is the bandwidth limit. */
    public double mlpBandwidthLimitFraction() {
        return mlpBytes / readBandwidth * 1000 / mlpForwardMs;
    }

    /** The MLP forward inside a step / the same forward alone: 1.0 means the host's decode leaves nothing behind. */
    public double mlpInStepOverAlone() {
        return mlpForwardMs / mlpAloneMs;
    }

    /** As {@link #mlpBandwidthLimitFraction()} for the forward alone. */
    public double mlpAloneBandwidthLimitFraction() {
        return mlpBytes / readBandwidth * 1000 / mlpAloneMs;
    }

    /** kNN-LM step / memory-decoder (joint) step: how many times slower live retrieval is than the memory. */
    public double knnOverJoint() {
        return knnDecodeMs / jointDecodeMs;
    }

    public double hostTps() {
        return 1000 / hostDecodeMs;
    }

    public double memoryTps() {
        return 1000 / memoryDecodeMs;
    }

    public double jointTps() {
        return 1000 / jointDecodeMs;
    }

    /** Mixing time as a fraction of a joint step. */
    public double mixShare() {
        return mixMs / jointDecodeMs;
    }

    /** The fastest a joint step could be if it only streamed both models' weights at the measured bandwidth. */
    public double bandwidthBoundMs() {
        return (hostBytes + memoryBytes) / readBandwidth * 1000;
    }

    /** {@link #bandwidthBoundMs()} / measured joint step: how close decoding runs to the memory-bandwidth limit. */
    public double bandwidthLimitFraction() {
        return bandwidthBoundMs() / jointDecodeMs;
    }

    /** As {@link #bandwidthLimitFraction()} for the host alone: its weights at the measured bandwidth / its step. */
    public double hostBandwidthLimitFraction() {
        return hostBytes / readBandwidth * 1000 / hostDecodeMs;
    }
}

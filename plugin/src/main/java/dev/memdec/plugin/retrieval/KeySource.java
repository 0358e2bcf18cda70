package dev.memdec.plugin.retrieval;

import dev.memdec.natives.llama.CapturedTensor;
import dev.memdec.natives.llama.LlamaContext;

/**
 * Where a window's keys come from: which graph tensor the decode captures, which tokens ask for output, and how
 * the captured rows become the keys of positions {@code [firstKey, firstKey + n)}.
 */
sealed interface KeySource {

    /** The capture name to pass to {@link dev.memdec.natives.llama.ContextOptions#withCapture}. */
    String tensor();

    /** Output flags for a window of {@code length} tokens whose keys start at index {@code firstKey}. */
    boolean[] outputs(int length, int firstKey);

    /** The keys, {@code n} rows, from the last decode. */
    float[] keys(LlamaContext context, int firstKey, int n);

    /**
     * {@code ffn_norm-<last>} formed in Java from {@code ffn_inp} captured for all rows: only the window's last
     * token is an output, so llama.cpp runs the last block's FFN and the output head on one row instead of all.
     */
    record AllRowsFfnInput(FfnNorm norm) implements KeySource {
        @Override
        public String tensor() {
            return LlamaContext.FFN_INP_ALL_ROWS;
        }

        @Override
        public boolean[] outputs(int length, int firstKey) {
            boolean[] out = new boolean[length];
            out[length - 1] = true;
            return out;
        }

        @Override
        public float[] keys(LlamaContext context, int firstKey, int n) {
            CapturedTensor all = context.captured(tensor());
            int d = norm.width();
            if (all.width() != d || all.rows() < firstKey + n) {
                throw new IllegalStateException("captured " + all.rows() + "×" + all.width() + " of " + tensor()
                        + ", expected at least " + (firstKey + n) + "×" + d);
            }
            float[] keys = new float[n * d];
            for (int i = 0; i < n; i++) {
                norm.apply(all.values(), (firstKey + i) * d, keys, i * d);
            }
            return keys;
        }
    }

    /** A tensor llama.cpp computes for output rows only ({@code result_norm}): every key position is an output. */
    record OutputRows() implements KeySource {
        @Override
        public String tensor() {
            return LlamaContext.RESULT_NORM;
        }

        @Override
        public boolean[] outputs(int length, int firstKey) {
            boolean[] out = new boolean[length];
            for (int t = firstKey; t < length - 1; t++) {
                out[t] = true;
            }
            return out;
        }

        @Override
        public float[] keys(LlamaContext context, int firstKey, int n) {
            return context.captured(tensor()).values();
        }
    }
}

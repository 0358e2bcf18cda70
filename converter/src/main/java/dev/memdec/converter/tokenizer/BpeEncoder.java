package dev.memdec.converter.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Classic merge-list byte-level BPE (the algorithm of GPT-2's {@code encoder.py} and llama.cpp's
 * {@code llm_tokenizer_bpe}): a pre-token's bytes start as single-byte symbols and the adjacent pair with
 * the lowest merge rank is merged until no ranked pair remains. It uses only the vocabulary's
 * {@code tokens} and {@code merges}, never a rank table, so encoding correctly proves the merges correct.
 */
public final class BpeEncoder {

    private final BpeVocabulary vocabulary;
    private final Map<String, Integer> idOf;
    /** Merge rank by (left id, right id), packed into a long. */
    private final Map<Long, Integer> mergeRank;
    /** Id of the token each merge produces, by rank. */
    private final int[] mergedId;
    private final int[] byteId = new int[256];

    public BpeEncoder(BpeVocabulary vocabulary) {
        this.vocabulary = vocabulary;
        this.idOf = new HashMap<>(vocabulary.size() * 2);
        for (int id = 0; id < vocabulary.size(); id++) {
            idOf.put(vocabulary.tokens().get(id), id);
        }
        for (int b = 0; b < 256; b++) {
            Integer id = idOf.get(String.valueOf(ByteLevelUnicode.charOf(b)));
            if (id == null) {
                throw new IllegalArgumentException("vocabulary lacks the single-byte token for byte 0x"
                        + Integer.toHexString(b) + "; byte-level BPE needs all 256");
            }
            byteId[b] = id;
        }
        int n = vocabulary.merges().size();
        this.mergeRank = new HashMap<>(n * 2);
        this.mergedId = new int[n];
        for (int rank = 0; rank < n; rank++) {
            String merge = vocabulary.merges().get(rank);
            int space = merge.indexOf(' ', 1);
            String left = merge.substring(0, space);
            String right = merge.substring(space + 1);
            Integer l = idOf.get(left);
            Integer r = idOf.get(right);
            Integer m = idOf.get(left + right);
            if (l == null || r == null || m == null) {
                throw new IllegalArgumentException("tokenizer.ggml.merges[" + rank + "]: '" + merge
                        + "' refers to a token missing from the vocabulary");
            }
            mergeRank.putIfAbsent(pack(l, r), rank);
            mergedId[rank] = m;
        }
    }

    public BpeVocabulary vocabulary() {
        return vocabulary;
    }

    /** Id of a token string, or -1. */
    public int id(String token) {
        return idOf.getOrDefault(token, -1);
    }

    /** Appends the ids of one pre-token's bytes to {@code out}; returns the new length of {@code out}. */
    public int encode(byte[] bytes, IntBuffer out) {
        int[] symbols = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            symbols[i] = byteId[bytes[i] & 0xFF];
        }
        int n = bytes.length;
        while (n > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < n; i++) {
                Integer rank = mergeRank.get(pack(symbols[i], symbols[i + 1]));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            symbols[best] = mergedId[bestRank];
            System.arraycopy(symbols, best + 2, symbols, best + 1, n - best - 2);
            n--;
        }
        for (int i = 0; i < n; i++) {
            out.add(symbols[i]);
        }
        return out.size();
    }

    private static long pack(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** A growable int array, so encoding does not box every id. */
    public static final class IntBuffer {
        private int[] data = new int[16];
        private int size;

        public void add(int v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        public int size() {
            return size;
        }

        public int[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }
}

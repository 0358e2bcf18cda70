package dev.memdec.converter.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;

/**
 * Learns a byte-level BPE vocabulary from text, the way GPT-2's was made: pre-tokenize with GPT-2's regex, start
 * from the 256 single-byte tokens, and repeatedly merge the most frequent adjacent pair of symbols (counted over
 * the pre-tokens, weighted by how often each occurs) until the vocabulary has the requested size. Ties go to the
 * pair whose left, then right, id is smallest, so the result depends only on the text. The vocabulary ends with
 * {@value #END_OF_TEXT_TOKEN} (a control token; bos = eos = its id) and loads in llama.cpp as
 * {@code tokenizer.ggml.model = gpt2}, {@code pre = gpt-2}.
 */
public final class BpeTrainer {

    public static final String END_OF_TEXT_TOKEN = Gpt2Tokenizer.END_OF_TEXT_TOKEN;
    /** 256 byte tokens, the end-of-text token and at least one merge. */
    public static final int MIN_VOCAB = 258;
    public static final int MAX_VOCAB = 1 << 20;

    private BpeTrainer() {
    }

    /**
     * @param texts     the training text (documents; pre-tokens never cross a document's boundary)
     * @param vocabSize tokens in the result, the end-of-text token included; fewer when no pair occurs twice
     * @throws IllegalArgumentException if {@code vocabSize} is outside [{@value #MIN_VOCAB}, {@value #MAX_VOCAB}]
     */
    public static BpeVocabulary train(List<String> texts, int vocabSize) {
        if (vocabSize < MIN_VOCAB || vocabSize > MAX_VOCAB) {
            throw new IllegalArgumentException("vocabulary size must be in [" + MIN_VOCAB + ", " + MAX_VOCAB
                    + "], got " + vocabSize);
        }
        // Distinct pre-tokens with their counts, in a fixed order.
        Map<String, Long> counted = new TreeMap<>();
        for (String text : texts) {
            Matcher m = ByteLevelBpeTokenizer.PRE_TOKENIZER.matcher(text);
            while (m.find()) {
                counted.merge(m.group(), 1L, Long::sum);
            }
        }
        int n = counted.size();
        int[][] words = new int[n][];
        long[] weight = new long[n];
        int w = 0;
        for (Map.Entry<String, Long> e : counted.entrySet()) {
            byte[] bytes = e.getKey().getBytes(StandardCharsets.UTF_8);
            int[] symbols = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                symbols[i] = bytes[i] & 0xFF;
            }
            words[w] = symbols;
            weight[w++] = e.getValue();
        }

        List<String> tokens = new ArrayList<>(vocabSize);
        Map<String, Integer> idOf = new HashMap<>(vocabSize * 2);
        for (int b = 0; b < 256; b++) {
            String t = String.valueOf(ByteLevelUnicode.charOf(b));
            idOf.put(t, tokens.size());
            tokens.add(t);
        }
        Map<Long, Long> pairCount = new HashMap<>();
        Map<Long, Set<Integer>> pairWords = new HashMap<>();
        for (int i = 0; i < n; i++) {
            addPairs(words[i], weight[i], i, pairCount, pairWords);
        }
        List<String> merges = new ArrayList<>();
        while (tokens.size() < vocabSize - 1) {
            long best = -1;
            long bestCount = 1;   // a pair must occur at least twice to be worth a token
            for (Map.Entry<Long, Long> e : pairCount.entrySet()) {
                long c = e.getValue();
                if (c > bestCount || (c == bestCount && best >= 0 && Long.compareUnsigned(e.getKey(), best) < 0)) {
                    best = e.getKey();
                    bestCount = c;
                }
            }
            if (best < 0) {
                break;
            }
            int left = (int) (best >>> 32);
            int right = (int) best;
            String merged = tokens.get(left) + tokens.get(right);
            Integer id = idOf.get(merged);
            if (id == null) {
                id = tokens.size();
                idOf.put(merged, id);
                tokens.add(merged);
            }
            merges.add(tokens.get(left) + " " + tokens.get(right));
            int[] where = pairWords.remove(best).stream().mapToInt(Integer::intValue).sorted().toArray();
            for (int i : where) {
                removePairs(words[i], weight[i], pairCount);
                words[i] = merge(words[i], left, right, id);
                addPairs(words[i], weight[i], i, pairCount, pairWords);
            }
            pairCount.remove(best);
        }
        return vocabulary(tokens, merges);
    }

    /**
     * The vocabulary this class makes from learned {@code tokens} (the 256 byte tokens first) and {@code merges}:
     * {@value #END_OF_TEXT_TOKEN} appended as a control token, bos = eos = its id, pre-tokenizer {@code gpt-2}.
     */
    public static BpeVocabulary vocabulary(List<String> tokens, List<String> merges) {
        List<String> all = new ArrayList<>(tokens);
        int[] types = new int[all.size() + 1];
        Arrays.fill(types, BpeVocabulary.TYPE_NORMAL);
        types[all.size()] = BpeVocabulary.TYPE_CONTROL;
        int eot = all.size();
        all.add(END_OF_TEXT_TOKEN);
        return new BpeVocabulary("gpt2", ByteLevelBpeTokenizer.PRE, all, types, merges, eot, eot, OptionalInt.empty(),
                false);
    }

    private static long pack(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private static void addPairs(int[] word, long weight, int index, Map<Long, Long> pairCount,
                                 Map<Long, Set<Integer>> pairWords) {
        for (int i = 0; i + 1 < word.length; i++) {
            long p = pack(word[i], word[i + 1]);
            pairCount.merge(p, weight, Long::sum);
            pairWords.computeIfAbsent(p, k -> new HashSet<>()).add(index);
        }
    }

    private static void removePairs(int[] word, long weight, Map<Long, Long> pairCount) {
        for (int i = 0; i + 1 < word.length; i++) {
            long p = pack(word[i], word[i + 1]);
            long left = pairCount.merge(p, -weight, Long::sum);
            if (left == 0) {
                pairCount.remove(p);
            }
        }
    }

    /** {@code word} with every non-overlapping occurrence of (left, right), scanned left to right, replaced by id. */
    private static int[] merge(int[] word, int left, int right, int id) {
        int[] out = new int[word.length];
        int k = 0;
        for (int i = 0; i < word.length; i++) {
            if (i + 1 < word.length && word[i] == left && word[i + 1] == right) {
                out[k++] = id;
                i++;
            } else {
                out[k++] = word[i];
            }
        }
        return Arrays.copyOf(out, k);
    }
}

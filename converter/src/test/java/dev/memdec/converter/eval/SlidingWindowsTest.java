package dev.memdec.converter.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SlidingWindowsTest {

    /**
     * reference-spec §2.3 transcribed literally: build input_ids and -100-masked labels per window, then
     * shift (prediction at t scored against label[t+1]) and collect the absolute indices of scored targets.
     */
    private static List<int[]> literal(int length, int block, int stride) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < length; i += stride) {
            int begin = Math.max(i + stride - block, 0);
            int end = Math.min(i + stride, length);
            int trgLen = end - i;
            int len = end - begin;
            int[] labels = new int[len];
            for (int p = 0; p < len; p++) {
                labels[p] = p < len - trgLen ? -100 : begin + p;
            }
            List<Integer> scored = new ArrayList<>();
            for (int p = 1; p < len; p++) {
                if (labels[p] != -100) {
                    scored.add(labels[p]);
                }
            }
            int[] row = new int[2 + scored.size()];
            row[0] = begin;
            row[1] = end;
            for (int k = 0; k < scored.size(); k++) {
                row[2 + k] = scored.get(k);
            }
            out.add(row);
        }
        return out;
    }

    @Test
    void matchesReferenceSpecOnSmallLengths() {
        for (int length = 0; length <= 40; length++) {
            for (int block = 1; block <= 10; block++) {
                for (int stride = 1; stride <= block; stride++) {
                    List<int[]> expected = literal(length, block, stride);
                    List<SlidingWindows.Window> actual = SlidingWindows.of(length, block, stride);
                    assertEquals(expected.size(), actual.size());
                    for (int k = 0; k < expected.size(); k++) {
                        SlidingWindows.Window w = actual.get(k);
                        int[] row = new int[2 + w.scoredCount()];
                        row[0] = w.begin();
                        row[1] = w.end();
                        for (int t = w.firstScored(); t < w.end(); t++) {
                            row[2 + t - w.firstScored()] = t;
                        }
                        int[] e = expected.get(k);
                        assertEquals(Arrays.toString(e), Arrays.toString(row),
                                "L=" + length + " B=" + block + " S=" + stride + " window " + k);
                        assertTrue(w.length() <= block);
                    }
                }
            }
        }
    }

    @Test
    void halfStrideScoresEveryTokenButTheFirstOnce() {
        int length = 3000;
        int[] scored = new int[length];
        for (SlidingWindows.Window w : SlidingWindows.of(length, 1024, 512)) {
            for (int t = w.firstScored(); t < w.end(); t++) {
                scored[t]++;
            }
        }
        assertEquals(0, scored[0]);
        for (int t = 1; t < length; t++) {
            assertEquals(1, scored[t], "token " + t);
        }
        List<SlidingWindows.Window> w = SlidingWindows.of(length, 1024, 512);
        assertEquals(new SlidingWindows.Window(0, 512, 1), w.get(0));
        assertEquals(new SlidingWindows.Window(0, 1024, 512), w.get(1));
        assertEquals(new SlidingWindows.Window(512, 1536, 1024), w.get(2));
    }

    @Test
    void rejectsBadArguments() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SlidingWindows.of(10, 4, 5))
                .getMessage().contains("stride"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SlidingWindows.of(10, 0, 1))
                .getMessage().contains("ctx"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SlidingWindows.of(-1, 4, 2))
                .getMessage().contains("length"));
    }

    @Test
    void perplexityOfUniformModelIsVocabularySize() {
        int vocab = 37;
        int[] tokens = new int[100];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 7) % vocab;
        }
        SlidingWindowPerplexity.Result r = SlidingWindowPerplexity.evaluate(
                window -> new float[window.length][vocab], tokens, 16, 8);
        assertEquals(99, r.tokens());
        assertEquals(vocab, r.perplexity(), 1e-9);
    }

    @Test
    void perplexityScoresEachTargetFromThePreviousPosition() {
        // The model puts logit 5 on "previous token + 1"; the sequence follows that rule except at one
        // place, so an off-by-one in target alignment changes the result.
        int vocab = 11;
        int[] tokens = new int[50];
        for (int i = 1; i < tokens.length; i++) {
            tokens[i] = i == 20 ? 0 : (tokens[i - 1] + 1) % vocab;
        }
        SlidingWindowPerplexity.Result r = SlidingWindowPerplexity.evaluate(window -> {
            float[][] logits = new float[window.length][vocab];
            for (int p = 0; p < window.length; p++) {
                logits[p][(window[p] + 1) % vocab] = 5;
            }
            return logits;
        }, tokens, 12, 5);
        double hit = -Math.log(Math.exp(5) / (Math.exp(5) + vocab - 1));
        double miss = -Math.log(1 / (Math.exp(5) + vocab - 1));
        boolean twentyIsAHit = (tokens[19] + 1) % vocab == 0;
        double expected = twentyIsAHit ? 49 * hit : 48 * hit + miss;
        assertEquals(49, r.tokens());
        assertEquals(expected, r.nll(), 1e-9);
    }
}

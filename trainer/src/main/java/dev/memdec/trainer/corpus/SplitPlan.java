package dev.memdec.trainer.corpus;

import java.util.ArrayList;
import java.util.List;

/**
 * A deterministic held-out split by document: of every {@code period} consecutive documents, the one at
 * {@code period/2} goes to validation and the last to test, the rest to training; each part then keeps its
 * documents in order until its character budget is used (so a small demo reads a prefix of each part, and
 * parts never share a document).
 */
public record SplitPlan(int period, long trainChars, long validChars, long testChars) {

    public SplitPlan {
        if (period < 3) {
            throw new IllegalArgumentException("split period must be >= 3 (train, valid, test), got " + period);
        }
        if (trainChars < 1 || validChars < 1 || testChars < 1) {
            throw new IllegalArgumentException("split budgets must be positive, got " + trainChars + "/" + validChars
                    + "/" + testChars + " characters");
        }
    }

    /** The three parts of {@code docs}. */
    public Parts apply(List<Document> docs) {
        List<Document> train = new ArrayList<>();
        List<Document> valid = new ArrayList<>();
        List<Document> test = new ArrayList<>();
        long[] used = new long[3];
        for (int i = 0; i < docs.size(); i++) {
            int slot = i % period;
            int part = slot == period - 1 ? 2 : slot == period / 2 ? 1 : 0;
            long budget = part == 0 ? trainChars : part == 1 ? validChars : testChars;
            if (used[part] >= budget) {
                continue;
            }
            used[part] += docs.get(i).chars();
            (part == 0 ? train : part == 1 ? valid : test).add(docs.get(i));
        }
        if (train.isEmpty() || valid.isEmpty() || test.isEmpty()) {
            throw new IllegalArgumentException(docs.size() + " documents are too few for a " + period
                    + "-document split period (a part is empty)");
        }
        return new Parts(train, valid, test);
    }

    /** Training, validation (λ tuning) and test documents. */
    public record Parts(List<Document> train, List<Document> valid, List<Document> test) {
    }
}

package dev.memdec.trainer.train;

/**
 * A sequence of training windows with sparse kNN targets, read in order (the reference trains with
 * shuffle off, §6.2). Implementations: the kNN + datastore readers, tokenized corpora for pretraining, and
 * synthetic data for tests and benchmarks.
 */
public interface TrainingWindows {

    /** Number of windows. */
    int size();

    /** Window {@code index} (0 ≤ index < size()); the same index always yields the same window. */
    KnnWindow window(int index);

    /** One exclusive upper bound for every token and kNN id, for validation against the model's vocabulary. */
    int vocab();

    /** Identifies the data for checkpoint compatibility checks and metadata (e.g. a manifest hash). */
    String fingerprint();

    /** Windows {@code [from, to)} of this sequence, as a sequence of its own. */
    default TrainingWindows slice(int from, int to) {
        if (from < 0 || to > size() || from > to) {
            throw new IllegalArgumentException("windows: slice [" + from + ", " + to + ") outside [0, " + size() + ")");
        }
        TrainingWindows parent = this;
        return new TrainingWindows() {
            @Override
            public int size() {
                return to - from;
            }

            @Override
            public KnnWindow window(int index) {
                return parent.window(from + index);
            }

            @Override
            public int vocab() {
                return parent.vocab();
            }

            @Override
            public String fingerprint() {
                return parent.fingerprint() + "[" + from + "," + to + ")";
            }
        };
    }
}

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

    /**
     * Splits {@code data} into training and validation windows, {train, valid}: the last {@code validFraction} of
     * the windows (at least one when the fraction is positive and there are two or more) are held out.
     *
     * @throws IllegalArgumentException when the fraction is outside [0, 1) or nothing is left to train on
     */
    static TrainingWindows[] holdOut(TrainingWindows data, double validFraction) {
        if (!(validFraction >= 0 && validFraction < 1)) {
            throw new IllegalArgumentException("--valid-fraction must be in [0, 1), got " + validFraction);
        }
        int valid = (int) Math.floor(data.size() * validFraction);
        if (validFraction > 0 && valid == 0 && data.size() >= 2) {
            valid = 1;
        }
        if (data.size() - valid < 1) {
            throw new IllegalArgumentException("only " + data.size() + " windows: nothing left to train on after holding out "
                    + valid + " for validation");
        }
        return new TrainingWindows[] {data.slice(0, data.size() - valid), data.slice(data.size() - valid, data.size())};
    }

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

package dev.memdec.trainer.train;

import java.util.Locale;

/**
 * Domain windows with replayed general text interleaved: after every domain window come, on average,
 * {@code ratio} windows of general text (spread evenly, in order). A replayed window has no kNN targets of its
 * own; its target distribution is the next token itself ({@link KnnWindow#labelTargets}), so the loss
 * β·KL + (1-β)·CE reduces to cross-entropy there. A memory trained this way learns the domain's retrieval
 * distribution and keeps agreeing with plain text elsewhere, which is what lets a mixture give it weight without
 * costing general text; the same interleaving makes the fair DAPT baseline (DAPT with replay).
 */
public final class ReplayWindows implements TrainingWindows {

    private final TrainingWindows domain;
    private final TrainingWindows general;
    private final int replayed;
    /** For position p of the interleaved sequence: domain window index (≥ 0) or ~general window index (< 0). */
    private final int[] order;

    /**
     * @param domain  the windows being learned (kNN targets, or plain text for DAPT)
     * @param general the text replayed; its first {@code round(ratio × domain.size())} windows are used (all
     *                of them at most), spread over the whole general sequence
     * @param ratio   replayed windows per domain window, ≥ 0
     */
    public ReplayWindows(TrainingWindows domain, TrainingWindows general, double ratio) {
        if (!(ratio >= 0) || Double.isInfinite(ratio)) {
            throw new IllegalArgumentException("replay ratio must be a finite value >= 0, got " + ratio);
        }
        this.domain = domain;
        this.general = general;
        this.replayed = (int) Math.min(general.size(), Math.round(ratio * domain.size()));
        this.order = new int[domain.size() + replayed];
        int g = 0;
        int p = 0;
        for (int d = 0; d < domain.size(); d++) {
            order[p++] = d;
            // after domain window d, the replayed windows due by then (evenly spread)
            long due = (long) replayed * (d + 1) / domain.size();
            while (g < due) {
                order[p++] = ~g++;
            }
        }
    }

    /** Replayed general windows in the sequence. */
    public int replayed() {
        return replayed;
    }

    @Override
    public int size() {
        return order.length;
    }

    @Override
    public KnnWindow window(int index) {
        int o = order[index];
        if (o >= 0) {
            return domain.window(o);
        }
        // replayed windows are taken with an even stride over the whole general text, not only its beginning
        int g = (int) ((long) ~o * general.size() / replayed);
        return KnnWindow.labelTargets(general.window(g).tokens());
    }

    @Override
    public int vocab() {
        return Math.max(domain.vocab(), general.vocab());
    }

    @Override
    public String fingerprint() {
        return String.format(Locale.ROOT, "%s+replay(%d of %s)", domain.fingerprint(), replayed, general.fingerprint());
    }
}

package dev.memdec.plugin;

import java.util.List;

/**
 * Finds stop strings in streamed text. Text that might be the start of a stop string is held back until the
 * next piece shows whether it is, so a caller never emits part of a stop string.
 */
final class StopStrings {

    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    StopStrings(List<String> stops) {
        for (String s : stops) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("a stop string must not be empty");
            }
        }
        this.stops = List.copyOf(stops);
    }

    /** Adds newly generated text; returns the text that can be emitted now (up to, not including, a stop). */
    String push(String piece) {
        if (stopped) {
            return "";
        }
        held.append(piece);
        int stopAt = -1;
        for (String s : stops) {
            int at = held.indexOf(s);
            if (at >= 0 && (stopAt < 0 || at < stopAt)) {
                stopAt = at;
            }
        }
        if (stopAt >= 0) {
            stopped = true;
            String out = held.substring(0, stopAt);
            held.setLength(0);
            return out;
        }
        int keep = longestSuffixThatStartsAStop();
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** True once a stop string was seen. */
    boolean stopped() {
        return stopped;
    }

    /** At the end of generation: the held-back text, which turned out not to start a stop string. */
    String flush() {
        String out = held.toString();
        held.setLength(0);
        return out;
    }

    private int longestSuffixThatStartsAStop() {
        int best = 0;
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, held.length()); len > best; len--) {
                if (held.indexOf(s.substring(0, len), held.length() - len) == held.length() - len) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}

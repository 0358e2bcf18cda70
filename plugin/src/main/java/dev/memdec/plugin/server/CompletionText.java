package dev.memdec.plugin.server;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns token bytes into text that is safe to show: holds back an incomplete UTF-8 sequence (byte-level BPE
 * splits characters across tokens), and holds back any tail that could still become a stop string, so that a
 * stop string never reaches the client, not even in part.
 */
public final class CompletionText {
    private final List<String> stops;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pendingBytes = ByteBuffer.allocate(0);
    private final StringBuilder held = new StringBuilder();
    private final StringBuilder released = new StringBuilder();
    private boolean stopped;

    public CompletionText(List<String> stops) {
        for (String stop : stops) {
            if (stop.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
        this.stops = List.copyOf(stops);
    }

    /** Adds one token's bytes; returns the text that can be shown now (possibly empty). Nothing after a stop. */
    public String append(byte[] bytes) {
        if (stopped) {
            return "";
        }
        ByteBuffer in = ByteBuffer.allocate(pendingBytes.remaining() + bytes.length);
        in.put(pendingBytes).put(bytes).flip();
        CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
        decoder.decode(in, out, false);
        pendingBytes = in.slice();
        held.append(out.flip());
        return release(false);
    }

    /** Ends the text: returns whatever is still held (an incomplete UTF-8 tail becomes U+FFFD). */
    public String finish() {
        if (stopped) {
            return "";
        }
        CharBuffer out = CharBuffer.allocate(pendingBytes.remaining() + 2);
        decoder.decode(pendingBytes, out, true);
        decoder.flush(out);
        pendingBytes = ByteBuffer.allocate(0);
        held.append(out.flip());
        return release(true);
    }

    /** True once a stop string matched; the generation should be cancelled. */
    public boolean stopped() {
        return stopped;
    }

    /** All text released so far. */
    public String text() {
        return released.toString();
    }

    private String release(boolean end) {
        int cut = held.length();
        int firstStop = -1;
        for (String stop : stops) {
            int at = held.indexOf(stop);
            if (at >= 0 && (firstStop < 0 || at < firstStop)) {
                firstStop = at;
            }
        }
        if (firstStop >= 0) {
            stopped = true;
            cut = firstStop;
        } else if (!end) {
            cut = held.length() - longestStopPrefixSuffix();
        }
        String out = held.substring(0, cut);
        held.delete(0, stopped ? held.length() : cut);
        released.append(out);
        return out;
    }

    /** Length of the longest tail of the held text that is a proper prefix of some stop string. */
    private int longestStopPrefixSuffix() {
        String text = held.toString();
        int best = 0;
        for (String stop : stops) {
            for (int k = Math.min(stop.length() - 1, text.length()); k > best; k--) {
                if (text.regionMatches(text.length() - k, stop, 0, k)) {
                    best = k;
                    break;
                }
            }
        }
        return best;
    }
}

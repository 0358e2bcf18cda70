package dev.memdec.plugin;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Joins token pieces into text. Byte-level BPE splits multi-byte UTF-8 characters across tokens, so bytes of an
 * unfinished character are kept until the token that completes it arrives.
 */
final class Utf8Accumulator {

    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    /** Adds a token's bytes and returns the text of every character now complete. */
    String append(byte[] piece) {
        pending.writeBytes(piece);
        byte[] all = pending.toByteArray();
        int complete = completePrefix(all);
        pending.reset();
        pending.write(all, complete, all.length - complete);
        return new String(all, 0, complete, StandardCharsets.UTF_8);
    }

    /** Whatever is left, with U+FFFD for an unfinished character. */
    String flush() {
        String out = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return out;
    }

    /** Length of the longest prefix that does not end inside a multi-byte character. */
    private static int completePrefix(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int c = b[n - back] & 0xff;
            if (c < 0x80) {
                return n; // ASCII: nothing open
            }
            if (c >= 0xc0) {
                int need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
                return back >= need ? n : n - back;
            }
        }
        return n; // only continuation bytes: invalid anyway, let the decoder replace them
    }
}

package dev.memdec.converter.tokenizer;

import java.io.ByteArrayOutputStream;

/**
 * GPT-2's byte-to-unicode table: every byte gets a printable code point so that byte-level BPE tokens
 * can be stored as ordinary strings (the form {@code tokenizer.ggml.tokens} and HF {@code vocab.json} use).
 *
 * <p>Printable bytes {@code '!'..'~'}, {@code 0xA1..0xAC} and {@code 0xAE..0xFF} map to the same code
 * point; the remaining 68 bytes map, in increasing byte order, to U+0100, U+0101, ... (so space is
 * {@code 'Ġ'} U+0120 and newline is {@code 'Ċ'} U+010A). All 256 images are in the BMP, one {@code char} each.
 */
public final class ByteLevelUnicode {

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevelUnicode() {
    }

    /** The printable character standing for byte {@code b} (0..255). */
    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** Encodes raw bytes to their byte-level unicode string. */
    public static String encode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /** True when every character of {@code s} is one of the 256 byte images. */
    public static boolean isByteLevel(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= CHAR_TO_BYTE.length || CHAR_TO_BYTE[c] < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes a byte-level unicode string back to raw bytes; characters outside the table (as in
     * control tokens such as {@code <|endoftext|>}, which happen to be printable ASCII anyway) are
     * written as their UTF-8 encoding.
     */
    public static byte[] decode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (cp < CHAR_TO_BYTE.length && CHAR_TO_BYTE[cp] >= 0) {
                out.write(CHAR_TO_BYTE[cp]);
            } else {
                out.writeBytes(new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            i += Character.charCount(cp);
        }
        return out.toByteArray();
    }
}

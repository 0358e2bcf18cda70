package dev.memdec.converter.hf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * GPT-2's byte-to-unicode table: the printable bytes {@code !..~}, {@code 0xA1..0xAC} and {@code 0xAE..0xFF} stand
 * for themselves, the other 68 bytes map in increasing order to U+0100, U+0101, ... (so space is {@code Ġ}).
 * Every byte-level BPE vocabulary holds all 256 symbols; llama.cpp looks them up for byte fallback.
 */
final class ByteLevelSymbols {

    private static final List<String> SYMBOLS = build();

    private ByteLevelSymbols() {
    }

    private static List<String> build() {
        List<String> out = new ArrayList<>(256);
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out.add(Character.toString(printable ? b : next++));
        }
        return Collections.unmodifiableList(out);
    }

    /** Symbol of byte {@code b} (0..255). */
    static String of(int b) {
        return SYMBOLS.get(b);
    }

    /** All 256 symbols, indexed by byte value. */
    static List<String> all() {
        return SYMBOLS;
    }
}

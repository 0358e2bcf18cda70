package dev.memdec.trainer.model;

import dev.memdec.converter.gpt2.Gpt2Config;
import java.util.Locale;

/** The {@code LxDxH} spelling of a GPT-2 shape (layers x embd x heads), as given to {@code --shape}. */
public final class ShapeSpec {

    private ShapeSpec() {
    }

    /**
     * Parses {@code text} into a GPT-2 config with {@code ctx} positions and {@code vocab} tokens.
     *
     * @throws IllegalArgumentException naming {@code flag} when the text is not three positive integers or the
     *     heads do not divide the width
     */
    public static Gpt2Config parse(String flag, String text, int ctx, int vocab) {
        String[] parts = text.trim().toLowerCase(Locale.ROOT).split("x", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException(flag + ": expected LAYERSxEMBDxHEADS such as 4x256x4, got '" + text + "'");
        }
        int[] v = new int[3];
        for (int i = 0; i < 3; i++) {
            try {
                v[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + ": '" + parts[i] + "' in '" + text + "' is not an integer", e);
            }
        }
        try {
            return Gpt2Config.of(v[0], v[1], v[2], ctx, vocab);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + " " + text + ": " + e.getMessage(), e);
        }
    }

    public static String of(Gpt2Config c) {
        return c.layers() + "x" + c.embd() + "x" + c.heads();
    }
}

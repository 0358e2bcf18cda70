package dev.memdec.trainer.model;

import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.trainer.model.llama.RopeLmConfig;
import java.util.Locale;

/**
 * The {@code LxDxH[xKV]} spelling of a shape, as given to {@code --shape}: layers x embd x heads is a GPT-2,
 * a fourth number (KV heads) makes it llama-shaped.
 */
public final class ShapeSpec {

    private ShapeSpec() {
    }

    /** Whether {@code text} names a GPT-2 (three numbers) rather than a llama-shaped decoder (four). */
    public static boolean isGpt2(String text) {
        return text.trim().split("[xX]", -1).length == 3;
    }

    /**
     * Parses {@code text} into a GPT-2 config with {@code ctx} positions and {@code vocab} tokens.
     *
     * @throws IllegalArgumentException naming {@code flag} when the text is not three positive integers or the
     *     heads do not divide the width
     */
    public static Gpt2Config parse(String flag, String text, int ctx, int vocab) {
        int[] v = numbers(flag, text, 3, 3, "LAYERSxEMBDxHEADS such as 4x256x4");
        try {
            return Gpt2Config.of(v[0], v[1], v[2], ctx, vocab);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + " " + text + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses {@code LxDxH[xKV]} into a fresh llama-shaped config of {@code architecture} (KV heads = heads when absent).
     *
     * @throws IllegalArgumentException naming {@code flag} and the field that does not fit the family
     */
    public static RopeLmConfig parseRope(String flag, String text, String architecture, int ctx, int vocab) {
        int[] v = numbers(flag, text, 3, 4, "LAYERSxEMBDxHEADS[xKV_HEADS] such as 4x256x8x2");
        try {
            return RopeLmConfig.fresh(architecture, v[0], v[1], v[2], v.length == 4 ? v[3] : v[2], ctx, vocab);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + " " + text + ": " + e.getMessage(), e);
        }
    }

    private static int[] numbers(String flag, String text, int min, int max, String expected) {
        String[] parts = text.trim().toLowerCase(Locale.ROOT).split("x", -1);
        if (parts.length < min || parts.length > max) {
            throw new IllegalArgumentException(flag + ": expected " + expected + ", got '" + text + "'");
        }
        int[] v = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                v[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + ": '" + parts[i] + "' in '" + text + "' is not an integer", e);
            }
        }
        return v;
    }

    public static String of(Gpt2Config c) {
        return c.layers() + "x" + c.embd() + "x" + c.heads();
    }
}

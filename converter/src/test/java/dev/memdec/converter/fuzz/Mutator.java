package dev.memdec.converter.fuzz;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The one mutation engine of every fuzz test: byte-level edits (truncation, bit flips, huge and negative
 * little-endian integers, inserted, deleted and appended bytes, invalid UTF-8) and JSON-aware edits of one node
 * (wrong types, huge and overflowing numbers, dropped, duplicated and unknown keys, deep nesting, invalid strings).
 * Every edit is logged, so a failing case can be described; the same seed always gives the same edits.
 */
public final class Mutator {

    /** Integers that break size arithmetic: zero, edges of 32 and 64 bits, and a 2^40-byte claim. */
    public static final long[] INTERESTING = {0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 31, 32, 33, 63, 64, 255, 256,
            0x7FFF_FFFFL, 0x8000_0000L,
            0xFFFF_FFFFL, 1L << 32, 1L << 40, 1L << 62, Long.MAX_VALUE, -1, -8, Long.MIN_VALUE};
    /** The same as JSON number literals, plus ones no 64-bit or double parse can hold. */
    private static final String[] NUMBERS = {"0", "-0", "1", "-1", "2", "0.5", "1.5e3", "2147483647", "2147483648",
            "-2147483649", "4294967296", "1099511627776", "9223372036854775807", "9223372036854775808",
            "-9223372036854775809", "1e308", "1e400", "-1e400", "1e-400", "123456789012345678901234567890"};
    /** Byte sequences that are not UTF-8: a lone continuation, an overlong form, a surrogate, 0xFF, a cut sequence. */
    private static final byte[][] INVALID_UTF8 = {{(byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0,
            (byte) 0x80}, {(byte) 0xFF}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80}};
    /** A private-use character that {@link #encode} replaces by invalid UTF-8 bytes. */
    private static final char BAD_UTF8 = '\uE000';

    /** Mutants stay small enough that thousands of them run in seconds. */
    private static final int MAX_JSON_CHARS = 1 << 20;

    private final Random r;
    private final List<String> log = new ArrayList<>();

    public Mutator(long seed) {
        r = new Random(seed);
    }

    public Random random() {
        return r;
    }

    /** What was done so far, in order. */
    public List<String> log() {
        return log;
    }

    public void note(String what) {
        log.add(what);
    }

    public long interesting() {
        return INTERESTING[r.nextInt(INTERESTING.length)];
    }

    /** One byte-level edit; three out of four land in {@code [0, focus)}, where a format keeps its structure. */
    public byte[] bytes(byte[] in, int focus) {
        if (in.length == 0) {
            log.add("grow");
            return new byte[] {'{', '}'};
        }
        int headerEnd = Math.max(1, Math.min(in.length, focus));
        int at = r.nextInt(4) == 0 ? r.nextInt(in.length) : r.nextInt(headerEnd);
        byte[] out = in.clone();
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        switch (r.nextInt(9)) {
            case 0 -> {
                int len = r.nextInt(in.length);
                log.add("truncate to " + len);
                return Arrays.copyOf(in, len);
            }
            case 1 -> {
                int bits = 1 + r.nextInt(8);
                for (int i = 0; i < bits; i++) {
                    int p = r.nextInt(4) == 0 ? r.nextInt(out.length) : r.nextInt(headerEnd);
                    out[p] ^= (byte) (1 << r.nextInt(8));
                }
                log.add("flip " + bits + " bits");
            }
            case 2 -> {
                long v = interesting();
                int p = Math.max(0, Math.min(at, out.length - 8));
                if (out.length >= 8) {
                    b.putLong(p, v);
                }
                log.add("i64 " + v + " @" + p);
            }
            case 3 -> {
                long v = interesting();
                int p = Math.max(0, Math.min(at, out.length - 4));
                if (out.length >= 4) {
                    b.putInt(p, (int) v);
                }
                log.add("i32 " + (int) v + " @" + p);
            }
            case 4 -> {
                byte[] garbage = new byte[1 + r.nextInt(40)];
                r.nextBytes(garbage);
                log.add("insert " + garbage.length + " @" + at);
                return splice(in, at, 0, garbage);
            }
            case 5 -> {
                int n = Math.min(1 + r.nextInt(16), in.length - at);
                log.add("delete " + n + " @" + at);
                return splice(in, at, n, new byte[0]);
            }
            case 6 -> {
                byte[] bad = INVALID_UTF8[r.nextInt(INVALID_UTF8.length)];
                log.add("invalid UTF-8 " + bad.length + " bytes @" + at);
                return splice(in, at, r.nextBoolean() ? Math.min(bad.length, in.length - at) : 0, bad);
            }
            case 7 -> {
                String digits = NUMBERS[r.nextInt(NUMBERS.length)];
                log.add("number text " + digits + " @" + at);
                return splice(in, at, 0, digits.getBytes(StandardCharsets.US_ASCII));
            }
            default -> {
                int n = 1 + r.nextInt(100);
                log.add("append " + n);
                return Arrays.copyOf(in, in.length + n);
            }
        }
        return out;
    }

    private static byte[] splice(byte[] in, int at, int remove, byte[] insert) {
        byte[] out = new byte[in.length - remove + insert.length];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(in, at + remove, out, at + insert.length, in.length - at - remove);
        return out;
    }

    /**
     * One JSON-aware edit of one node of {@code in}; text that does not parse as JSON gets a byte edit instead,
     * and one in eight JSON edits is followed by a byte edit of the result.
     */
    public byte[] json(byte[] in) {
        JsonElement root;
        try {
            JsonReader reader = new JsonReader(new StringReader(new String(in, StandardCharsets.UTF_8)));
            reader.setStrictness(Strictness.STRICT);
            root = JsonParser.parseReader(reader);
        } catch (RuntimeException | StackOverflowError e) {
            return bytes(in, in.length);
        }
        int nodes = count(root);
        Emitter emitter = new Emitter(r.nextInt(nodes));
        emitter.emit(root);
        if (emitter.out.length() > MAX_JSON_CHARS) {
            log.add("edit too large, byte edit instead");
            return bytes(in, in.length);
        }
        byte[] out = encode(emitter.out.toString());
        return r.nextInt(8) == 0 ? bytes(out, out.length) : out;
    }

    private static int count(JsonElement e) {
        int n = 1;
        if (e.isJsonObject()) {
            for (Map.Entry<String, JsonElement> x : e.getAsJsonObject().entrySet()) {
                n += count(x.getValue());
            }
        } else if (e.isJsonArray()) {
            for (JsonElement x : e.getAsJsonArray()) {
                n += count(x);
            }
        }
        return n;
    }

    private static byte[] encode(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() + 16);
        int from = 0;
        for (int i = text.indexOf(BAD_UTF8); i >= 0; i = text.indexOf(BAD_UTF8, from)) {
            out.writeBytes(text.substring(from, i).getBytes(StandardCharsets.UTF_8));
            out.writeBytes(INVALID_UTF8[i % INVALID_UTF8.length]);
            from = i + 1;
        }
        out.writeBytes(text.substring(from).getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** Writes the tree back as JSON, replacing node number {@code target} (pre-order) by a mutant. */
    private final class Emitter {
        private final int target;
        private final StringBuilder out = new StringBuilder();
        private int next;

        Emitter(int target) {
            this.target = target;
        }

        void emit(JsonElement e) {
            if (next++ == target) {
                mutant(e);
            } else {
                plain(e);
            }
        }

        private void plain(JsonElement e) {
            if (e.isJsonObject()) {
                out.append('{');
                boolean first = true;
                for (Map.Entry<String, JsonElement> x : e.getAsJsonObject().entrySet()) {
                    first = comma(first);
                    out.append(quote(x.getKey())).append(':');
                    emit(x.getValue());
                }
                out.append('}');
            } else if (e.isJsonArray()) {
                out.append('[');
                boolean first = true;
                for (JsonElement x : e.getAsJsonArray()) {
                    first = comma(first);
                    emit(x);
                }
                out.append(']');
            } else {
                out.append(e);
            }
        }

        private boolean comma(boolean first) {
            if (!first) {
                out.append(',');
            }
            return false;
        }

        private void mutant(JsonElement e) {
            int op = r.nextInt(10);
            if (e.isJsonObject() && !e.getAsJsonObject().isEmpty() && op >= 6) {
                objectEdit(e.getAsJsonObject(), op);
            } else if (e.isJsonArray() && !e.getAsJsonArray().isEmpty() && op >= 6) {
                arrayEdit(e.getAsJsonArray().asList(), op);
            } else {
                switch (op % 6) {
                    case 0, 1 -> {
                        String[] others = {"\"x\"", "0", "-1", "true", "null", "[]", "{}", "[1,2]", "{\"a\":1}", "\"\"", "[null]"};
                        String v = others[r.nextInt(others.length)];
                        log.add("node #" + target + " := " + v);
                        out.append(v);
                    }
                    case 2 -> {
                        String v = NUMBERS[r.nextInt(NUMBERS.length)];
                        log.add("node #" + target + " := " + v);
                        out.append(v);
                    }
                    case 3 -> {
                        int depth = r.nextBoolean() ? 300 : 100_000;
                        boolean arrays = r.nextBoolean();
                        log.add("node #" + target + " nested " + depth + " deep in " + (arrays ? "arrays" : "objects"));
                        out.append((arrays ? "[" : "{\"a\":").repeat(depth));
                        plain(e);
                        out.append((arrays ? "]" : "}").repeat(depth));
                    }
                    case 4 -> {
                        String[] strings = {"", "\\u0000", "\\ud800", "../../../../etc/passwd", "/", "a".repeat(70_000),
                                String.valueOf(BAD_UTF8), "x" + BAD_UTF8 + "y", "\\n", "NaN"};
                        String v = strings[r.nextInt(strings.length)];
                        log.add("node #" + target + " := string '" + (v.length() > 20 ? v.length() + " chars" : v) + "'");
                        out.append('"').append(v).append('"');
                    }
                    default -> {
                        log.add("node #" + target + " kept, text edit");
                        plain(e);
                        if (r.nextBoolean()) {
                            out.append(r.nextBoolean() ? "," : " x");
                        } else if (out.length() > 0) {
                            out.setLength(out.length() - 1);
                        }
                    }
                }
            }
        }

        private void objectEdit(JsonObject o, int op) {
            List<Map.Entry<String, JsonElement>> entries = new ArrayList<>(o.entrySet());
            int pick = r.nextInt(entries.size());
            String key = entries.get(pick).getKey();
            out.append('{');
            boolean first = true;
            for (int i = 0; i < entries.size(); i++) {
                Map.Entry<String, JsonElement> x = entries.get(i);
                if (i == pick && op == 6) {
                    continue;   // dropped
                }
                first = comma(first);
                out.append(quote(x.getKey())).append(':');
                plain(x.getValue());
                if (i == pick && op == 7) {
                    out.append(',').append(quote(x.getKey())).append(':').append(r.nextBoolean() ? "1" : "\"dup\"");
                }
            }
            if (op >= 8) {
                first = comma(first);
                out.append(quote(op == 8 ? "zz_unknown" : key + "_")).append(':').append(r.nextBoolean() ? "{}" : "7");
            }
            out.append('}');
            log.add("object #" + target + (switch (op) {
                case 6 -> " drops key '" + key + "'";
                case 7 -> " duplicates key '" + key + "'";
                default -> " gains an unknown key";
            }));
        }

        private void arrayEdit(List<JsonElement> items, int op) {
            int pick = r.nextInt(items.size());
            out.append('[');
            boolean first = true;
            int repeat = op == 9 ? 1 + r.nextInt(2000) : 1;
            for (int i = 0; i < items.size(); i++) {
                if (i == pick && op == 6) {
                    continue;
                }
                int times = i == pick ? (op == 7 ? 2 : repeat) : 1;
                for (int t = 0; t < times; t++) {
                    first = comma(first);
                    plain(items.get(i));
                }
            }
            if (op == 8) {
                first = comma(first);
                out.append("null");
            }
            out.append(']');
            log.add("array #" + target + switch (op) {
                case 6 -> " drops element " + pick;
                case 7 -> " duplicates element " + pick;
                case 8 -> " gains a null";
                default -> " repeats element " + pick + " " + repeat + " times";
            });
        }
    }

    private static String quote(String s) {
        return new com.google.gson.JsonPrimitive(s).toString();
    }
}

package dev.memdec.plugin.retrieval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How a corpus file's per-line token ids become the token streams that windows are cut from (reference-spec
 * §2.1–2.2), shared by the datastore build and by training so both enumerate the same positions.
 */
public final class LineGroups {

    private LineGroups() {
    }

    /**
     * {@code groupLines == 0}: one stream (possibly empty), every line's ids concatenated. {@code groupLines > 0}:
     * every {@code groupLines} lines concatenated into a stream of their own and, when at least {@code ctx} long,
     * cut down to a multiple of {@code ctx} (the reference drops each group's remainder); groups without tokens are
     * left out.
     *
     * @param source names the corpus file in errors
     * @throws IllegalArgumentException if a stream would exceed 2^31 tokens
     */
    public static List<int[]> streams(String source, List<int[]> lines, int groupLines, int ctx) {
        if (groupLines < 0 || ctx < 1) {
            throw new IllegalArgumentException("groupLines must be >= 0 and ctx >= 1, got " + groupLines + ", " + ctx);
        }
        if (groupLines == 0) {
            return List.of(concat(source, lines));
        }
        List<int[]> groups = new ArrayList<>();
        for (int from = 0; from < lines.size(); from += groupLines) {
            int[] group = concat(source, lines.subList(from, Math.min(from + groupLines, lines.size())));
            int kept = group.length >= ctx ? group.length / ctx * ctx : group.length;
            if (kept > 0) {
                groups.add(kept == group.length ? group : Arrays.copyOf(group, kept));
            }
        }
        return groups;
    }

    static int[] concat(String source, List<int[]> parts) {
        long total = 0;
        for (int[] p : parts) {
            total += p.length;
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("--corpus " + source + ": " + total + " tokens in one stream; split it "
                    + "into files of fewer than 2^31 tokens");
        }
        int[] all = new int[(int) total];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }
}

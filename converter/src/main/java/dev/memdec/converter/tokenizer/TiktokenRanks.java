package dev.memdec.converter.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiktoken rank table ({@code .tiktoken}: one {@code base64(bytes) rank} pair per line) and the BPE
 * merge list it implies.
 *
 * <p>A tiktoken file stores no merges; byte-level BPE defines them implicitly: token {@code t} of rank
 * {@code r} is produced by exactly one merge, the last one applied when BPE runs on {@code t}'s bytes using
 * only merges of rank below {@code r}. {@link #rebuildMerges()} recovers that pair for every multi-byte
 * token, which reproduces GPT-2's {@code vocab.bpe} line for line (data.md §1).
 */
public final class TiktokenRanks {

    private final String source;
    /** Token bytes by rank, kept as ISO-8859-1 strings: a bijection on bytes that hashes and concatenates cheaply. */
    private final List<String> tokens;
    private final Map<String, Integer> rankOf;

    private TiktokenRanks(String source, List<String> tokens) {
        this.source = source;
        this.tokens = List.copyOf(tokens);
        this.rankOf = new HashMap<>(tokens.size() * 2);
        for (int r = 0; r < tokens.size(); r++) {
            if (rankOf.put(tokens.get(r), r) != null) {
                throw new IllegalArgumentException(source + ": rank " + r + " repeats the bytes of an earlier token");
            }
        }
    }

    /** Loads a {@code .tiktoken} resource from the class path (e.g. {@code /com/knuddels/jtokkit/r50k_base.tiktoken}). */
    public static TiktokenRanks fromResource(String resource) {
        try (InputStream in = TiktokenRanks.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("tiktoken resource not found on the class path: " + resource);
            }
            return parse(resource, in);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + resource, e);
        }
    }

    static TiktokenRanks parse(String source, InputStream in) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
        List<String> tokens = new ArrayList<>();
        Base64.Decoder base64 = Base64.getDecoder();
        String line;
        int lineNo = 0;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            if (line.isEmpty()) {
                continue;
            }
            int space = line.indexOf(' ');
            if (space <= 0) {
                throw new IllegalArgumentException(source + " line " + lineNo + ": expected 'base64 rank', got '" + line + "'");
            }
            int rank;
            byte[] bytes;
            try {
                rank = Integer.parseInt(line.substring(space + 1));
                bytes = base64.decode(line.substring(0, space));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + " line " + lineNo + ": " + e.getMessage(), e);
            }
            if (rank != tokens.size()) {
                throw new IllegalArgumentException(source + " line " + lineNo + ": expected rank " + tokens.size()
                        + " (ranks must be dense and ascending), got " + rank);
            }
            if (bytes.length == 0) {
                throw new IllegalArgumentException(source + " line " + lineNo + ": empty token");
            }
            tokens.add(new String(bytes, StandardCharsets.ISO_8859_1));
        }
        return new TiktokenRanks(source, tokens);
    }

    /** Number of ranked tokens. */
    public int size() {
        return tokens.size();
    }

    /** The raw bytes of the token with rank {@code rank}. */
    public byte[] bytes(int rank) {
        return tokens.get(rank).getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * The merge list implied by the ranks, ordered by the rank of the token each merge produces, as
     * {@code "left right"} strings in byte-level unicode form.
     *
     * @throws IllegalArgumentException if some multi-byte token cannot be built from two lower-ranked tokens
     */
    public List<String> rebuildMerges() {
        List<String> merges = new ArrayList<>(tokens.size());
        for (int rank = 0; rank < tokens.size(); rank++) {
            String token = tokens.get(rank);
            if (token.length() < 2) {
                continue;
            }
            List<String> parts = mergeBelow(token, rank);
            if (parts.size() != 2) {
                throw new IllegalArgumentException(source + ": token of rank " + rank + " ends in " + parts.size()
                        + " parts under lower-ranked merges, expected 2; not a byte-level BPE table");
            }
            merges.add(latin1ToByteLevel(parts.get(0)) + " " + latin1ToByteLevel(parts.get(1)));
        }
        return merges;
    }

    /** Byte-level BPE on {@code token}'s bytes, applying only merges whose result ranks below {@code limit}. */
    private List<String> mergeBelow(String token, int limit) {
        List<String> parts = new ArrayList<>(token.length());
        for (int i = 0; i < token.length(); i++) {
            parts.add(token.substring(i, i + 1));
        }
        while (parts.size() > 1) {
            int best = -1;
            int bestRank = limit;
            for (int i = 0; i + 1 < parts.size(); i++) {
                Integer r = rankOf.get(parts.get(i) + parts.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            parts.set(best, parts.get(best) + parts.remove(best + 1));
        }
        return parts;
    }

    /** The token of rank {@code rank} in byte-level unicode form. */
    public String byteLevelToken(int rank) {
        return latin1ToByteLevel(tokens.get(rank));
    }

    private static String latin1ToByteLevel(String latin1) {
        return ByteLevelUnicode.encode(latin1.getBytes(StandardCharsets.ISO_8859_1));
    }
}

package dev.memdec.trainer.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Text files tokenized into one stream (an end-of-text token after each file) and cut into consecutive,
 * non-overlapping windows of {@code seq} tokens, every position scored, without kNN targets: the data of host
 * pretraining. The fingerprint is the SHA-256 of the token stream, so it changes with the text or the tokenizer.
 */
public final class CorpusWindows implements TrainingWindows {

    private final int[] tokens;
    private final int seq;
    private final int vocab;
    private final String sha256;
    private final int fileCount;

    private CorpusWindows(int[] tokens, int seq, int vocab, String sha256, int fileCount) {
        this.tokens = tokens;
        this.seq = seq;
        this.vocab = vocab;
        this.sha256 = sha256;
        this.fileCount = fileCount;
    }

    /**
     * Reads and tokenizes {@code paths} (files, or directories read recursively in name order).
     *
     * @throws IllegalArgumentException naming the path when it does not exist, is not UTF-8 text, or when the
     *     corpus yields fewer than 2 tokens
     */
    public static CorpusWindows read(List<Path> paths, Function<String, int[]> encoder, int endOfText, int seq, int vocab)
            throws IOException {
        if (seq < 2) {
            throw new IllegalArgumentException("--seq must be >= 2, got " + seq);
        }
        List<Path> files = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.filter(Files::isRegularFile).sorted().forEach(files::add);
                }
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else {
                throw new IllegalArgumentException("--corpus " + p + ": no such file or directory");
            }
        }
        int[] stream = new int[1024];
        int n = 0;
        for (Path f : files) {
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(Files.readAllBytes(f))).toString();
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("--corpus " + f + ": not UTF-8 text", e);
            }
            int[] ids = encoder.apply(text);
            while (n + ids.length + 1 > stream.length) {
                stream = java.util.Arrays.copyOf(stream, stream.length * 2);
            }
            System.arraycopy(ids, 0, stream, n, ids.length);
            n += ids.length;
            stream[n++] = endOfText;
        }
        if (n < 2) {
            throw new IllegalArgumentException("--corpus " + paths + ": fewer than 2 tokens of text");
        }
        int[] all = java.util.Arrays.copyOf(stream, n);
        return new CorpusWindows(all, seq, vocab, sha256(all), files.size());
    }

    private static String sha256(int[] ids) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer b = ByteBuffer.allocate(4 * ids.length);
            b.asIntBuffer().put(ids);
            return HexFormat.of().formatHex(md.digest(b.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 of the token stream (big-endian int32 ids). */
    public String sha256() {
        return sha256;
    }

    public int tokenCount() {
        return tokens.length;
    }

    public int fileCount() {
        return fileCount;
    }

    @Override
    public int size() {
        // Full windows, plus the remainder when it still holds a prediction.
        int full = tokens.length / seq;
        return tokens.length % seq >= 2 ? full + 1 : full;
    }

    @Override
    public KnnWindow window(int index) {
        int from = index * seq;
        return KnnWindow.plain(java.util.Arrays.copyOfRange(tokens, from, Math.min(tokens.length, from + seq)));
    }

    @Override
    public int vocab() {
        return vocab;
    }

    @Override
    public String fingerprint() {
        return "corpus:" + sha256 + ":seq" + seq;
    }
}

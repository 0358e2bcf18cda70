package dev.memdec.plugin.retrieval;

import dev.memdec.converter.eval.SlidingWindows;
import dev.memdec.converter.io.AtomicFiles;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A finished datastore, memory-mapped: keys are converted from fp16 row by row on request, never loaded whole.
 * {@link #open} checks the manifest and the file sizes; {@link #verifyChecksums()} reads every byte.
 * Safe for concurrent reads.
 */
public final class Datastore implements AutoCloseable {

    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path dir;
    private final DatastoreManifest manifest;
    private final String manifestSha256;
    private final Arena arena;
    private final MemorySegment keys;
    private final MemorySegment values;
    private final MemorySegment tokens;

    /**
     * A sliding window over corpus stream {@code stream} and the datastore rows of its scored positions: the key at
     * window position t (absolute, {@code window.firstScored() - 1 <= t < window.end() - 1}) is row
     * {@code firstEntry + t - (window.firstScored() - 1)}, its value is token t+1.
     */
    public record ScoredWindow(int stream, SlidingWindows.Window window, long firstEntry) {
    }

    private Datastore(Path dir, DatastoreManifest manifest, String manifestSha256, Arena arena, MemorySegment keys,
                      MemorySegment values, MemorySegment tokens) {
        this.dir = dir;
        this.manifest = manifest;
        this.manifestSha256 = manifestSha256;
        this.arena = arena;
        this.keys = keys;
        this.values = values;
        this.tokens = tokens;
    }

    /**
     * Opens the datastore in {@code dir}.
     *
     * @throws IOException when the manifest is missing or malformed, or a data file has the wrong size
     */
    public static Datastore open(Path dir) throws IOException {
        Path manifestFile = dir.resolve(DatastoreManifest.FILE);
        byte[] raw;
        try {
            raw = Files.readAllBytes(manifestFile);
        } catch (NoSuchFileException e) {
            String hint = Files.exists(dir.resolve(ResumableOutput.PROGRESS_FILE))
                    ? " (the datastore build there is unfinished; run it again to resume)" : "";
            throw new IOException(manifestFile + ": not found; " + dir + " is not a finished datastore" + hint, e);
        }
        DatastoreManifest m = RetrievalFile.parseManifest(manifestFile, raw, DatastoreManifest.class);
        validate(manifestFile, m);
        int d = m.spec().dimension();
        Arena arena = Arena.ofShared();
        try {
            // sizes first: the windows over 'streamLengths' are only counted once the tokens file is known to hold them
            MemorySegment k = map(dir, m, m.keys(), bytes(manifestFile, m.count(), (long) d * 2), "count × dimension × 2",
                    arena);
            MemorySegment v = map(dir, m, m.values(), bytes(manifestFile, m.count(), 4), "count × 4", arena);
            long tokens = 0;
            for (Integer length : m.streamLengths()) {
                if (length == null || length < 0) {
                    throw new IOException(manifestFile + ": field 'streamLengths' holds " + length
                            + ", expected token counts >= 0");
                }
                tokens += length;
            }
            MemorySegment t = map(dir, m, m.tokens(), tokens * 4, "sum of streamLengths × 4", arena);
            checkScoredCount(manifestFile, m);
            checkNonNegative(dir.resolve(m.values().file()), v, "value");
            checkNonNegative(dir.resolve(m.tokens().file()), t, "token");
            return new Datastore(dir, m, AtomicFiles.sha256(raw), arena, k, v, t);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static void validate(Path file, DatastoreManifest m) throws IOException {
        if (m == null || !DatastoreManifest.FORMAT.equals(m.format())) {
            throw new IOException(file + ": field 'format' must be '" + DatastoreManifest.FORMAT + "', got "
                    + (m == null ? "an empty file" : "'" + m.format() + "'"));
        }
        if (m.version() != DatastoreManifest.VERSION) {
            throw new IOException(file + ": field 'version' is " + m.version() + ", this build reads version "
                    + DatastoreManifest.VERSION + (m.version() < DatastoreManifest.VERSION
                    ? " (version 1 had headerless data files); " + RetrievalFile.REBUILD_DATASTORE : ""));
        }
        if (m.id() == null || !m.id().matches("[0-9a-f]{32}")) {
            throw new IOException(file + ": field 'id' must be 32 lower-case hex digits, got " + m.id());
        }
        if (m.spec() == null || m.keys() == null || m.values() == null || m.tokens() == null || m.streamLengths() == null) {
            throw new IOException(file + ": fields 'spec', 'keys', 'values', 'tokens' and 'streamLengths' are required");
        }
        if (m.count() <= 0) {
            throw new IOException(file + ": field 'count' must be positive, got " + m.count());
        }
        if (!DatastoreManifest.KEYS_FILE.equals(m.keys().file()) || !DatastoreManifest.VALUES_FILE.equals(m.values().file())
                || !DatastoreManifest.TOKENS_FILE.equals(m.tokens().file())) {
            throw new IOException(file + ": fields 'keys.file'/'values.file'/'tokens.file' must be "
                    + DatastoreManifest.KEYS_FILE + "/" + DatastoreManifest.VALUES_FILE + "/" + DatastoreManifest.TOKENS_FILE);
        }
    }

    private static long bytes(Path file, long count, long perEntry) throws IOException {
        try {
            return Math.multiplyExact(count, perEntry);
        } catch (ArithmeticException overflow) {
            throw new IOException(file + ": field 'count' " + count + " overflows a 64-bit file size");
        }
    }

    /** Token ids index the host's vocabulary (and, in training, libtorch tensors): none may be negative. */
    private static void checkNonNegative(Path file, MemorySegment ids, String what) throws IOException {
        for (long i = 0; i < ids.byteSize() / 4; i++) {
            int id = ids.get(I32, 4 * i);
            if (id < 0) {
                throw new IOException(file + ": " + what + " " + i + " is " + id + ", expected a token id >= 0");
            }
        }
    }

    private static void checkScoredCount(Path file, DatastoreManifest m) throws IOException {
        if (!m.streamLengths().isEmpty()) {
            long scored = 0;
            for (int length : m.streamLengths()) {
                for (SlidingWindows.Window w : SlidingWindows.of(length, m.spec().windowCtx(), m.spec().windowStride())) {
                    scored += w.scoredCount();
                }
            }
            if (scored != m.count()) {
                throw new IOException(file + ": field 'count' is " + m.count() + " but the windows over 'streamLengths' "
                        + m.streamLengths() + " score " + scored + " positions");
            }
        }
    }

    /** Checks the file's header against the manifest's id and maps the data after it. */
    private static MemorySegment map(Path dir, DatastoreManifest m, FileChecksum sum, long expected, String rule,
                                     Arena arena) throws IOException {
        Path file = dir.resolve(sum.file());
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": datastore data file missing");
        }
        RetrievalFile.checkHeader(file, sum.file(), m.id(), m.id(), DatastoreManifest.FILE + " field 'id'",
                RetrievalFile.REBUILD_DATASTORE);
        long size = Files.size(file);
        long want = RetrievalFile.HEADER_BYTES + expected;
        if (size != want || size != sum.bytes()) {
            throw new IOException(file + ": " + size + " bytes, expected " + want + " (a " + RetrievalFile.HEADER_BYTES
                    + "-byte header and " + rule + " from the manifest; manifest 'bytes' says " + sum.bytes() + ")");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, RetrievalFile.HEADER_BYTES, expected, arena);
        }
    }

    /**
     * Re-hashes the data files against the manifest.
     *
     * @throws IOException naming the file whose SHA-256 does not match
     */
    public void verifyChecksums() throws IOException {
        for (FileChecksum sum : new FileChecksum[] {manifest.keys(), manifest.values(), manifest.tokens()}) {
            Path file = dir.resolve(sum.file());
            String actual = AtomicFiles.sha256(file);
            if (!actual.equals(sum.sha256())) {
                throw new IOException(file + ": checksum mismatch, SHA-256 is " + actual + " but "
                        + DatastoreManifest.FILE + " records " + sum.sha256() + " (the file is corrupted)");
            }
        }
    }

    public Path directory() {
        return dir;
    }

    public DatastoreManifest manifest() {
        return manifest;
    }

    /** The datastore's id (32 hex digits, from its spec), in the header of every file it and its kNN directories hold. */
    public String id() {
        return manifest.id();
    }

    /** SHA-256 of the {@code datastore.json} bytes: identifies this datastore in files derived from it. */
    public String manifestSha256() {
        return manifestSha256;
    }

    public int dimension() {
        return manifest.spec().dimension();
    }

    public long count() {
        return manifest.count();
    }

    /** Converts rows {@code [first, first+n)} of the keys to floats in {@code dst} (row-major). */
    public void readKeys(long first, int n, float[] dst) {
        int d = dimension();
        if (first < 0 || n < 0 || first + n > count() || dst.length < (long) n * d) {
            throw new IndexOutOfBoundsException("datastore rows [" + first + ", " + (first + n) + ") of " + count()
                    + " into " + dst.length + " floats");
        }
        long base = first * d * 2;
        for (int i = 0; i < n * d; i++) {
            dst[i] = Float.float16ToFloat(keys.get(F16, base + 2L * i));
        }
    }

    /** The next-token id stored with entry {@code row}. */
    public int value(long row) {
        return values.get(I32, row * 4);
    }

    /** The windows the entries were cut from, in entry order; empty when no token streams were stored. */
    public List<ScoredWindow> windows() {
        List<ScoredWindow> out = new ArrayList<>();
        long entry = 0;
        List<Integer> lengths = manifest.streamLengths();
        for (int s = 0; s < lengths.size(); s++) {
            for (SlidingWindows.Window w : SlidingWindows.of(lengths.get(s), manifest.spec().windowCtx(),
                    manifest.spec().windowStride())) {
                out.add(new ScoredWindow(s, w, entry));
                entry += w.scoredCount();
            }
        }
        return out;
    }

    /** Tokens {@code [from, to)} of corpus stream {@code stream}. */
    public int[] tokens(int stream, int from, int to) {
        int length = manifest.streamLengths().get(stream);
        if (from < 0 || to < from || to > length) {
            throw new IndexOutOfBoundsException("stream " + stream + " tokens [" + from + ", " + to + ") of " + length);
        }
        long base = 0;
        for (int s = 0; s < stream; s++) {
            base += manifest.streamLengths().get(s);
        }
        int[] out = new int[to - from];
        for (int i = 0; i < out.length; i++) {
            out[i] = tokens.get(I32, 4 * (base + from + i));
        }
        return out;
    }

    @Override
    public void close() {
        arena.close();
    }
}

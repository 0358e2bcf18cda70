package dev.memdec.trainer.datastore;

import com.google.gson.JsonParseException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

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

    private Datastore(Path dir, DatastoreManifest manifest, String manifestSha256, Arena arena, MemorySegment keys,
                      MemorySegment values) {
        this.dir = dir;
        this.manifest = manifest;
        this.manifestSha256 = manifestSha256;
        this.arena = arena;
        this.keys = keys;
        this.values = values;
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
        DatastoreManifest m;
        try {
            m = DatastoreWriter.GSON.fromJson(new String(raw, StandardCharsets.UTF_8),
                    DatastoreManifest.class);
        } catch (RuntimeException e) {   // Gson's JsonParseException, or a record constructor rejecting a field
            Throwable cause = e.getCause() != null && !(e instanceof JsonParseException) ? e.getCause() : e;
            throw new IOException(manifestFile + ": malformed manifest: " + cause.getMessage(), e);
        }
        validate(manifestFile, m);
        int d = m.spec().dimension();
        Arena arena = Arena.ofShared();
        try {
            MemorySegment k = map(dir, m.keys(), m.count() * d * 2, "count × dimension × 2", arena);
            MemorySegment v = map(dir, m.values(), m.count() * 4, "count × 4", arena);
            return new Datastore(dir, m, AtomicFiles.sha256(raw), arena, k, v);
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
                    + DatastoreManifest.VERSION);
        }
        if (m.spec() == null || m.keys() == null || m.values() == null) {
            throw new IOException(file + ": fields 'spec', 'keys' and 'values' are required");
        }
        if (m.count() <= 0) {
            throw new IOException(file + ": field 'count' must be positive, got " + m.count());
        }
        if (!DatastoreManifest.KEYS_FILE.equals(m.keys().file()) || !DatastoreManifest.VALUES_FILE.equals(m.values().file())) {
            throw new IOException(file + ": fields 'keys.file'/'values.file' must be " + DatastoreManifest.KEYS_FILE
                    + "/" + DatastoreManifest.VALUES_FILE);
        }
    }

    private static MemorySegment map(Path dir, FileChecksum sum, long expected, String rule, Arena arena)
            throws IOException {
        Path file = dir.resolve(sum.file());
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": datastore data file missing");
        }
        long size = Files.size(file);
        if (size != expected || size != sum.bytes()) {
            throw new IOException(file + ": " + size + " bytes, expected " + expected + " (" + rule
                    + " from the manifest; manifest 'bytes' says " + sum.bytes() + ")");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        }
    }

    /**
     * Re-hashes the data files against the manifest.
     *
     * @throws IOException naming the file whose SHA-256 does not match
     */
    public void verifyChecksums() throws IOException {
        for (FileChecksum sum : new FileChecksum[] {manifest.keys(), manifest.values()}) {
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

    @Override
    public void close() {
        arena.close();
    }
}

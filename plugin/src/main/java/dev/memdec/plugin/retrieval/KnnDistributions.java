package dev.memdec.plugin.retrieval;

import dev.memdec.converter.io.AtomicFiles;
import dev.memdec.natives.faiss.FaissIndex;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/** Finished kNN distributions (see {@link KnnManifest} for the files), memory-mapped. Safe for concurrent reads. */
public final class KnnDistributions implements AutoCloseable {

    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path dir;
    private final KnnManifest manifest;
    private final Arena arena;
    private final MemorySegment offsets;
    private final MemorySegment tokens;
    private final MemorySegment probs;
    private final MemorySegment labels;

    private KnnDistributions(Path dir, KnnManifest manifest, Arena arena, Map<String, MemorySegment> files) {
        this.dir = dir;
        this.manifest = manifest;
        this.arena = arena;
        this.offsets = files.get(KnnManifest.OFFSETS);
        this.tokens = files.get(KnnManifest.TOKENS);
        this.probs = files.get(KnnManifest.probsFile(manifest.probType()));
        this.labels = files.get(KnnManifest.LABELS);
    }

    /**
     * Opens the distributions in {@code dir} and checks the manifest against the file sizes.
     *
     * @throws IOException when the manifest is missing or malformed, or a file is missing or has the wrong size
     */
    public static KnnDistributions open(Path dir) throws IOException {
        Path file = dir.resolve(KnnManifest.FILE);
        KnnManifest m = RetrievalFile.readManifest(file, KnnManifest.class,
                dir + " holds no finished kNN distributions");
        if (m == null || !KnnManifest.FORMAT.equals(m.format()) || m.version() != KnnManifest.VERSION) {
            throw new IOException(file + ": fields 'format'/'version' must be " + KnnManifest.FORMAT + "/"
                    + KnnManifest.VERSION + (m != null && KnnManifest.FORMAT.equals(m.format())
                    && m.version() < KnnManifest.VERSION ? ", got version " + m.version()
                    + " (headerless files); " + RetrievalFile.REBUILD_KNN : ""));
        }
        if (m.probType() == null || m.files() == null || m.datastore() == null || m.count() <= 0) {
            throw new IOException(file + ": fields 'probType', 'files', 'datastore' and a positive 'count' are required");
        }
        if (m.id() == null || !m.id().matches("[0-9a-f]{32}") || m.datastore().id() == null
                || !m.datastore().id().matches("[0-9a-f]{32}")) {
            throw new IOException(file + ": fields 'id' and 'datastore.id' must be 32 lower-case hex digits, got "
                    + m.id() + " and " + m.datastore().id());
        }
        if (m.entries() < 0 || m.vocabSize() <= 0 || m.datastore().manifestSha256() == null) {
            throw new IOException(file + ": fields 'entries' (>= 0), 'vocabSize' (> 0) and 'datastore.manifestSha256' "
                    + "are required, got " + m.entries() + ", " + m.vocabSize() + ", " + m.datastore().manifestSha256());
        }
        Map<String, Long> expected;
        try {
            expected = Map.of(KnnManifest.OFFSETS, Math.multiplyExact(8, Math.addExact(m.count(), 1)),
                    KnnManifest.TOKENS, Math.multiplyExact(4, m.entries()),
                    KnnManifest.probsFile(m.probType()), Math.multiplyExact((long) m.probType().bytes(), m.entries()),
                    KnnManifest.LABELS, Math.multiplyExact(4, m.count()));
        } catch (ArithmeticException overflow) {
            throw new IOException(file + ": fields 'count' " + m.count() + " and 'entries' " + m.entries()
                    + " overflow a 64-bit file size");
        }
        Arena arena = Arena.ofShared();
        try {
            Map<String, MemorySegment> segments = new HashMap<>();
            for (FileChecksum sum : m.files()) {
                if (sum == null || sum.file() == null || segments.containsKey(sum.file())) {
                    throw new IOException(file + ": 'files' holds " + (sum == null ? "null" : sum.file() == null
                            ? "an entry without 'file'" : "'" + sum.file() + "' twice"));
                }
                Long want = expected.get(sum.file());
                if (want == null) {
                    throw new IOException(file + ": unexpected file '" + sum.file() + "' in 'files'");
                }
                Path data = dir.resolve(sum.file());
                if (!Files.isRegularFile(data)) {
                    throw new IOException(data + ": kNN data file missing");
                }
                RetrievalFile.checkHeader(data, sum.file(), m.datastore().id(), m.id(), KnnManifest.FILE
                        + " field 'id'", RetrievalFile.REBUILD_KNN);
                long size = Files.size(data);
                if (size != RetrievalFile.HEADER_BYTES + want || size != sum.bytes()) {
                    throw new IOException(data + ": " + size + " bytes, expected " + (RetrievalFile.HEADER_BYTES + want)
                            + " from " + KnnManifest.FILE + " (a " + RetrievalFile.HEADER_BYTES + "-byte header, count "
                            + m.count() + ", entries " + m.entries() + ")");
                }
                try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
                    segments.put(sum.file(), ch.map(FileChannel.MapMode.READ_ONLY, RetrievalFile.HEADER_BYTES, want,
                            arena));
                }
            }
            if (segments.size() != expected.size()) {
                throw new IOException(file + ": 'files' must list " + expected.keySet());
            }
            KnnDistributions knn = new KnnDistributions(dir, m, arena, segments);
            knn.checkRows();
            return knn;
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Checks once, at the boundary, what {@link #row} and training rely on: the offsets climb from 0 to
     * {@code entries}, every token id lies in [0, vocabSize) and every probability is finite and in [0, 1].
     */
    private void checkRows() throws IOException {
        long previous = offsets.get(I64, 0);
        if (previous != 0) {
            throw new IOException(dir.resolve(KnnManifest.OFFSETS) + ": offset 0 is " + previous + ", expected 0");
        }
        for (long r = 1; r <= count(); r++) {
            long next = offsets.get(I64, 8 * r);
            if (next < previous || next > manifest.entries()) {
                throw new IOException(dir.resolve(KnnManifest.OFFSETS) + ": offset " + r + " is " + next
                        + ", expected a value in [" + previous + ", " + manifest.entries() + "] (rows must not overlap)");
            }
            previous = next;
        }
        if (previous != manifest.entries()) {
            throw new IOException(dir.resolve(KnnManifest.OFFSETS) + ": the last offset is " + previous + " but "
                    + KnnManifest.FILE + " says 'entries' " + manifest.entries());
        }
        for (long i = 0; i < manifest.entries(); i++) {
            int t = tokens.get(I32, 4 * i);
            if (t < 0 || t >= manifest.vocabSize()) {
                throw new IOException(dir.resolve(KnnManifest.TOKENS) + ": entry " + i + " is token " + t
                        + ", outside [0, vocabSize " + manifest.vocabSize() + ")");
            }
            float p = manifest.probType() == ProbType.F16 ? Float.float16ToFloat(probs.get(F16, 2 * i)) : probs.get(F32, 4 * i);
            if (!(p >= 0 && p <= 1)) {
                throw new IOException(dir.resolve(KnnManifest.probsFile(manifest.probType())) + ": entry " + i
                        + " has probability " + p + ", expected a number in [0, 1]");
            }
        }
    }

    /** Re-hashes every data file against the manifest; names the corrupted file. */
    public void verifyChecksums() throws IOException {
        for (FileChecksum sum : manifest.files()) {
            Path file = dir.resolve(sum.file());
            String actual = AtomicFiles.sha256(file);
            if (!actual.equals(sum.sha256())) {
                throw new IOException(file + ": checksum mismatch, SHA-256 is " + actual + " but " + KnnManifest.FILE
                        + " records " + sum.sha256() + " (the file is corrupted)");
            }
        }
    }

    /**
     * Checks that these distributions were computed from {@code datastore} and that every label equals its value.
     *
     * @throws IllegalArgumentException naming the first mismatch
     */
    public void checkAlignment(Datastore datastore) {
        checkDatastore(datastore);
        for (long r = 0; r < count(); r++) {
            if (label(r) != datastore.value(r)) {
                throw new IllegalArgumentException(dir.resolve(KnnManifest.LABELS) + ": row " + r + " label " + label(r)
                        + " differs from datastore value " + datastore.value(r) + " (misaligned rows)");
            }
        }
    }

    /**
     * Checks that these distributions were computed from {@code datastore} (its manifest's hash and its id).
     *
     * @throws IllegalArgumentException naming the manifest field that differs
     */
    public void checkDatastore(Datastore datastore) {
        if (!manifest.datastore().manifestSha256().equals(datastore.manifestSha256())) {
            throw new IllegalArgumentException(dir.resolve(KnnManifest.FILE) + ": field 'datastore.manifestSha256' is "
                    + manifest.datastore().manifestSha256() + " but " + datastore.directory() + " has "
                    + datastore.manifestSha256() + "; these distributions belong to another datastore");
        }
        if (!manifest.datastore().id().equals(datastore.id())) {
            throw new IllegalArgumentException(dir.resolve(KnnManifest.FILE) + ": field 'datastore.id' is "
                    + manifest.datastore().id() + " but " + datastore.directory() + " has id " + datastore.id()
                    + "; these distributions belong to another datastore");
        }
    }

    /**
     * The FAISS index of this directory, built over {@code datastore}: its trailer and checksum are checked, its
     * size and width must be the datastore's, and an IVF index searches with the build's {@code nprobe}.
     *
     * @throws IllegalArgumentException when the index or the datastore belong elsewhere
     * @throws IOException              naming the index file when it is missing, truncated or corrupted
     */
    public FaissIndex openIndex(Datastore datastore) throws IOException {
        checkDatastore(datastore);
        Path file = dir.resolve(KnnManifest.INDEX_FILE);
        FaissIndex index = RetrievalFile.readIndex(file, manifest.datastore().id(), manifest.id(),
                KnnManifest.FILE + " field 'id'", RetrievalFile.REBUILD_KNN);
        try {
            if (index.dimension() != datastore.dimension() || index.size() != datastore.count()) {
                throw new IllegalArgumentException(file + ": " + index.size() + " vectors of " + index.dimension()
                        + " dimensions, expected the datastore's " + datastore.count() + " of " + datastore.dimension());
            }
            if (manifest.index() != null && manifest.index().nprobe() > 0) {
                index.setNprobe(manifest.index().nprobe());
            }
            return index;
        } catch (RuntimeException e) {
            index.close();
            throw e;
        }
    }

    public KnnManifest manifest() {
        return manifest;
    }

    public long count() {
        return manifest.count();
    }

    /** The stored distribution of entry {@code row}, most probable token first. */
    public SparseDistribution row(long row) {
        long from = offsets.get(I64, 8 * row);
        long to = offsets.get(I64, 8 * (row + 1));
        if (from < 0 || to < from || to > manifest.entries()) {
            throw new IllegalStateException(dir + "/" + KnnManifest.OFFSETS + ": row " + row + " spans [" + from + ", "
                    + to + ") outside [0, " + manifest.entries() + "]");
        }
        int n = (int) (to - from);
        int[] t = new int[n];
        float[] p = new float[n];
        for (int i = 0; i < n; i++) {
            t[i] = tokens.get(I32, 4 * (from + i));
            p[i] = manifest.probType() == ProbType.F16
                    ? Float.float16ToFloat(probs.get(F16, 2 * (from + i))) : probs.get(F32, 4 * (from + i));
        }
        return new SparseDistribution(t, p);
    }

    /** The next-token id of entry {@code row} as the datastore had it. */
    public int label(long row) {
        return labels.get(I32, 4 * row);
    }

    @Override
    public void close() {
        arena.close();
    }
}

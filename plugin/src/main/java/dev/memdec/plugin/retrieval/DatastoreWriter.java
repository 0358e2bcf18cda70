package dev.memdec.plugin.retrieval;

import dev.memdec.converter.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Streams datastore entries to disk: keys as fp16, values as int32, never more than one batch on the heap.
 * Resumable: call {@link #checkpoint(long)} after each unit of work (a window); a writer opened again on the same
 * directory with the same spec continues after the last checkpoint ({@link #unitsDone()}).
 */
public final class DatastoreWriter implements AutoCloseable {

    private static final int KEYS = 0;
    private static final int VALUES = 1;
    private static final int TOKENS = 2;

    private final Path dir;
    private final DatastoreSpec spec;
    private final ResumableOutput out;
    private List<Integer> streamLengths = List.of();

    private DatastoreWriter(Path dir, DatastoreSpec spec, ResumableOutput out) {
        this.dir = dir;
        this.spec = spec;
        this.out = out;
    }

    /**
     * Starts a datastore in {@code dir}, or resumes the unfinished one there if it was started with the same spec.
     *
     * @throws IllegalArgumentException when {@code dir} already holds a finished datastore, or an unfinished one
     *                                  with a different spec
     */
    public static DatastoreWriter open(Path dir, DatastoreSpec spec) throws IOException {
        if (Files.exists(dir.resolve(DatastoreManifest.FILE))) {
            throw new IllegalArgumentException(dir + " already holds a finished datastore ("
                    + DatastoreManifest.FILE + "); choose another output directory or delete it");
        }
        String id = RetrievalFile.idOf(RetrievalFile.GSON.toJson(spec));
        ResumableOutput out = ResumableOutput.open(dir,
                List.of(DatastoreManifest.KEYS_FILE, DatastoreManifest.VALUES_FILE, DatastoreManifest.TOKENS_FILE),
                RetrievalFile.GSON.toJsonTree(spec), id, id);
        long keyRows = out.bytes(KEYS) / (2L * spec.dimension());
        if (out.bytes(KEYS) != keyRows * 2L * spec.dimension() || out.bytes(VALUES) != keyRows * 4L) {
            out.close();
            throw new IOException(dir + ": checkpointed keys (" + out.bytes(KEYS) + " bytes) and values ("
                    + out.bytes(VALUES) + " bytes) disagree; delete it to start over");
        }
        return new DatastoreWriter(dir, spec, out);
    }

    /** Units of work (e.g. windows) completed before this writer was opened, or at the last checkpoint. */
    public long unitsDone() {
        return out.unitsDone();
    }

    /** Entries written so far, including those of a resumed run. */
    public long count() {
        return out.bytes(VALUES) / 4;
    }

    /**
     * Records the corpus token streams the entries are cut from (one per corpus file), so that training can rebuild
     * the windows from the datastore alone. Call it once after every {@link #open}, before appending; on a resumed
     * writer it checks that the streams are the ones already stored. Optional for synthetic datastores.
     */
    public void tokenStreams(List<int[]> streams) throws IOException {
        long total = 0;
        for (int[] s : streams) {
            total += s.length;
        }
        if (out.bytes(TOKENS) != 0 || count() != 0) {
            if (out.bytes(TOKENS) != 4 * total) {
                throw new IOException(dir + ": the stored token streams hold " + out.bytes(TOKENS) / 4 + " tokens, the "
                        + "corpus now has " + total + "; delete " + dir + " to start over");
            }
        } else {
            for (int[] s : streams) {
                ByteBuffer b = ByteBuffer.allocate(4 * s.length).order(ByteOrder.LITTLE_ENDIAN);
                b.asIntBuffer().put(s);
                out.write(TOKENS, b);
            }
        }
        streamLengths = streams.stream().map(s -> s.length).toList();
    }

    /** Appends {@code n} entries: {@code keys} holds n rows of {@link DatastoreSpec#dimension()} floats. */
    public void append(float[] keys, int[] values, int n) throws IOException {
        int d = spec.dimension();
        if (n < 0 || values.length < n || keys.length < (long) n * d) {
            throw new IllegalArgumentException("datastore append of " + n + " entries with d=" + d + " needs "
                    + (long) n * d + " key floats and " + n + " values, got " + keys.length + " and " + values.length);
        }
        ByteBuffer k = ByteBuffer.allocate(n * d * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n * d; i++) {
            k.putShort(Float.floatToFloat16(keys[i]));
        }
        ByteBuffer v = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            v.putInt(values[i]);
        }
        out.write(KEYS, k.flip());
        out.write(VALUES, v.flip());
    }

    /** Makes everything appended so far durable and records {@code unitsDone} units as complete. */
    public void checkpoint(long unitsDone) throws IOException {
        out.checkpoint(unitsDone);
    }

    /**
     * Completes the datastore: renames the data files into place and writes {@code datastore.json}.
     *
     * @throws IllegalArgumentException when no entry was written (an empty or too short corpus)
     */
    public DatastoreManifest finish() throws IOException {
        if (count() == 0) {
            throw new IllegalArgumentException("datastore " + dir + ": no entries were written; the corpus "
                    + spec.corpus().stream().map(SourceFile::path).toList() + " has no scored positions");
        }
        long count = count();
        List<FileChecksum> sums = out.finish();
        DatastoreManifest manifest = new DatastoreManifest(DatastoreManifest.FORMAT, DatastoreManifest.VERSION,
                spec, count, sums.get(KEYS), sums.get(VALUES), streamLengths, sums.get(TOKENS), out.id());
        AtomicFiles.write(dir.resolve(DatastoreManifest.FILE), RetrievalFile.GSON.toJson(manifest).getBytes(StandardCharsets.UTF_8));
        out.complete();
        return manifest;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}

package dev.memdec.plugin.retrieval;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import dev.memdec.converter.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A set of append-only files written by a long job that may be killed and restarted.
 *
 * <p>Data goes to {@code <name>.partial}. {@link #checkpoint(long)} forces the data to disk and then records,
 * atomically, how many bytes of each file and how many job units (windows, rows, ...) are complete, together with
 * a JSON description of the job. {@link #open} on a directory with such a record truncates the files back to the
 * recorded lengths (dropping whatever was written after the last checkpoint), re-reads them to restore the
 * running SHA-256, and continues. {@link #finish()} renames the partial files to their final names; the caller
 * then writes its manifest, whose presence alone marks the output complete.
 *
 * <p>Every file starts with the {@link RetrievalFile} header of its name, the datastore's id and this output's id
 * ({@link #id()}); {@link #bytes(int)} counts the data after it.
 */
public final class ResumableOutput implements AutoCloseable {

    static final String PROGRESS_FILE = ".progress.json";
    private static final String PARTIAL = ".partial";
    private static final Gson GSON = new Gson();

    /** @param id the output's id, in every file's header (null in checkpoints of a memdec before headers) */
    private record Progress(JsonElement job, long unitsDone, List<Long> bytes, String id) {
    }

    private final Path dir;
    private final List<String> names;
    private final JsonElement job;
    private final List<FileChannel> channels = new ArrayList<>();
    private final List<MessageDigest> digests = new ArrayList<>();
    private final long[] bytes;
    private String id;
    private long unitsDone;
    private boolean resumed;
    private boolean finished;

    private ResumableOutput(Path dir, List<String> names, JsonElement job) {
        this.dir = dir;
        this.names = List.copyOf(names);
        this.job = job;
        this.bytes = new long[names.size()];
    }

    /**
     * Opens the files for appending, resuming from the last checkpoint when one exists for the same job.
     *
     * @param datastoreId the id of the datastore the files belong to, in their headers
     * @param id          this output's id, in their headers ({@link RetrievalFile#idOf}; a datastore's own files
     *                    carry its id twice)
     * @throws IllegalArgumentException when the directory holds an unfinished run of a different job
     */
    public static ResumableOutput open(Path dir, List<String> names, JsonElement job, String datastoreId, String id)
            throws IOException {
        Files.createDirectories(dir);
        ResumableOutput out = new ResumableOutput(dir, names, job);
        out.id = id;
        Path progressFile = dir.resolve(PROGRESS_FILE);
        Progress progress = null;
        if (Files.exists(progressFile)) {
            try {
                progress = GSON.fromJson(Files.readString(progressFile), Progress.class);
            } catch (JsonParseException e) {
                throw new IOException(progressFile + ": unreadable checkpoint (" + e.getMessage() + "); delete it to start over", e);
            }
            if (progress == null || progress.bytes() == null || progress.bytes().size() != names.size()) {
                throw new IOException(progressFile + ": checkpoint lists other files than " + names + "; delete it to start over");
            }
            if (progress.id() == null) {
                throw new IOException(progressFile + ": an unfinished run of a memdec before headered retrieval files;"
                        + " delete " + dir + " to start over");
            }
            if (!Objects.equals(progress.job(), job) || !id.equals(progress.id())) {
                throw new IllegalArgumentException(dir + " holds an unfinished run with different settings ("
                        + differences(progress.job(), job) + "); resume it with the same settings or delete " + dir);
            }
        }
        try {
            for (int i = 0; i < names.size(); i++) {
                Path partial = dir.resolve(names.get(i) + PARTIAL);
                Path finalFile = dir.resolve(names.get(i));
                if (progress != null && !Files.exists(partial) && Files.exists(finalFile)) {
                    Files.move(finalFile, partial, StandardCopyOption.ATOMIC_MOVE);   // killed between finish() and manifest
                }
                FileChannel ch = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.READ);
                out.channels.add(ch);
                MessageDigest md = AtomicFiles.sha256();
                out.digests.add(md);
                long keep = progress == null ? 0 : progress.bytes().get(i);
                if (progress == null) {
                    ch.truncate(0);
                    ByteBuffer header = RetrievalFile.header(names.get(i), datastoreId, id);
                    while (header.hasRemaining()) {
                        ch.write(header, header.position());
                    }
                } else {
                    if (ch.size() < RetrievalFile.HEADER_BYTES + keep) {
                        throw new IOException(partial + ": " + ch.size() + " bytes, but the checkpoint recorded "
                                + (RetrievalFile.HEADER_BYTES + keep) + "; the file was damaged, delete " + dir
                                + " to start over");
                    }
                    RetrievalFile.checkHeader(partial, names.get(i), datastoreId, id, PROGRESS_FILE + " field 'id'",
                            "delete " + dir + " to start over");
                }
                long length = RetrievalFile.HEADER_BYTES + keep;
                ch.truncate(length);
                AtomicFiles.updateFrom(md, partial, length);
                ch.position(length);
                out.bytes[i] = keep;
            }
        } catch (IOException | RuntimeException e) {
            out.closeChannels();
            throw e;
        }
        out.unitsDone = progress == null ? 0 : progress.unitsDone();
        out.resumed = progress != null;
        return out;
    }

    private static String differences(JsonElement was, JsonElement now) {
        if (was instanceof JsonObject a && now instanceof JsonObject b) {
            TreeSet<String> keys = new TreeSet<>(a.keySet());
            keys.addAll(b.keySet());
            List<String> diff = new ArrayList<>();
            for (String k : keys) {
                if (!Objects.equals(a.get(k), b.get(k))) {
                    diff.add(k + ": was " + a.get(k) + ", now " + b.get(k));
                }
            }
            return String.join("; ", diff);
        }
        return "was " + was + ", now " + now;
    }

    /** This output's id (32 hex digits): in every file's header, and the datastore's id for a datastore. */
    public String id() {
        return id;
    }

    /** Job units completed at the last checkpoint (0 for a fresh start). */
    public long unitsDone() {
        return unitsDone;
    }

    /** Whether {@link #open} found a checkpoint of the same job and continued from it. */
    public boolean resumed() {
        return resumed;
    }

    /** Data bytes written to file {@code i} so far, after its header. */
    public long bytes(int i) {
        return bytes[i];
    }

    /** Appends the buffer's remaining bytes to file {@code i}. */
    public void write(int i, ByteBuffer data) throws IOException {
        FileChannel ch = channels.get(i);
        ByteBuffer hashView = data.duplicate();
        int n = data.remaining();
        while (data.hasRemaining()) {
            ch.write(data);
        }
        digests.get(i).update(hashView);
        bytes[i] += n;
    }

    /** Forces the data written so far to disk, then records it (and {@code unitsDone}) as complete. */
    public void checkpoint(long unitsDone) throws IOException {
        for (FileChannel ch : channels) {
            ch.force(false);
        }
        List<Long> sizes = new ArrayList<>();
        for (long b : bytes) {
            sizes.add(b);
        }
        AtomicFiles.write(dir.resolve(PROGRESS_FILE),
                GSON.toJson(new Progress(job, unitsDone, sizes, id)).getBytes(StandardCharsets.UTF_8));
        this.unitsDone = unitsDone;
    }

    /**
     * Forces and closes the files and renames them to their final names; their checksums cover the headers. Call {@link #complete()} once the
     * manifest that describes them is in place.
     */
    public List<FileChecksum> finish() throws IOException {
        List<FileChecksum> sums = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            channels.get(i).force(true);
            sums.add(new FileChecksum(names.get(i), RetrievalFile.HEADER_BYTES + bytes[i],
                    AtomicFiles.hex(digests.get(i))));
        }
        closeChannels();
        for (String name : names) {
            Files.move(dir.resolve(name + PARTIAL), dir.resolve(name), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        }
        finished = true;
        return sums;
    }

    /** Removes the checkpoint after the caller's manifest was written. */
    public void complete() throws IOException {
        if (!finished) {
            throw new IllegalStateException("complete() before finish() in " + dir);
        }
        Files.deleteIfExists(dir.resolve(PROGRESS_FILE));
    }

    /** Closes the files; an unfinished output stays resumable from its last checkpoint. */
    @Override
    public void close() throws IOException {
        closeChannels();
    }

    private void closeChannels() throws IOException {
        IOException first = null;
        for (FileChannel ch : channels) {
            try {
                ch.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        channels.clear();
        if (first != null) {
            throw first;
        }
    }
}

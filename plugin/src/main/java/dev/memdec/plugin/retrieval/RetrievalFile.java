package dev.memdec.plugin.retrieval;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import dev.memdec.converter.io.AtomicFiles;
import dev.memdec.converter.io.TextFiles;
import dev.memdec.natives.faiss.FaissIndex;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.zip.CRC32;

/**
 * The identity every raw file of a datastore or kNN directory carries, checked whenever the file is opened
 * (in the manner of Lucene's codec headers), and the one place the directories' JSON manifests are parsed.
 *
 * <p>The header is {@value #HEADER_BYTES} bytes, little-endian: magic {@code "MDRF"} (4 bytes), format version
 * (int32, {@value #VERSION}), the file's kind, i.e. its name in the directory ({@code keys.f16}, {@code probs.f16},
 * ...; 24 bytes of ASCII, NUL-padded), the id of the datastore it belongs to (16 bytes) and the id of the file set
 * that wrote it (16 bytes: the datastore's own id for datastore files, the kNN run's id for kNN files). Data
 * follows at byte {@value #HEADER_BYTES}, so 8-byte rows stay aligned. A file copied in from another datastore or
 * another kNN run, or renamed to another kind, is refused on open with one line naming it.
 *
 * <p>The FAISS index is written by FAISS, which reads from byte 0 and ignores what follows its own data, so there
 * the same header comes last, as a trailer: FAISS's bytes, the header, the FAISS byte count (int64) and a CRC-32
 * of everything before it (int64), {@value #TRAILER_BYTES} bytes in all; it is written in one go, so the checksum
 * is checked on every open.
 */
public final class RetrievalFile {

    /** "MDRF" read as a little-endian int32. */
    static final int MAGIC = 'M' | 'D' << 8 | 'R' << 16 | 'F' << 24;
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 64;
    public static final int TRAILER_BYTES = HEADER_BYTES + 16;
    private static final int KIND_BYTES = 24;
    private static final int ID_BYTES = 16;
    /** How the messages tell a user with an old, headerless directory what to do. */
    static final String REBUILD_DATASTORE = "rebuild it with ./memdec datastore --host HOST --corpus FILE... --out DIR";
    static final String REBUILD_KNN = "rebuild it with ./memdec knn --datastore DIR --out DIR";

    /** The JSON of both manifests ({@code datastore.json}, {@code knn.json}). */
    static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private RetrievalFile() {
    }

    /**
     * The id (32 lower-case hex digits) of a datastore or kNN run described by {@code job}: the first 128 bits of
     * the SHA-256 of its JSON. Ids are content-derived rather than random so that the same build, resumed, rerun
     * or run on another engine, writes byte-identical files; two builds of different inputs or settings differ.
     */
    public static String idOf(String job) {
        return AtomicFiles.sha256(job.getBytes(StandardCharsets.UTF_8)).substring(0, 2 * ID_BYTES);
    }

    /** The header of a file of {@code kind} in the file set {@code setId} of datastore {@code datastoreId}. */
    static ByteBuffer header(String kind, String datastoreId, String setId) {
        byte[] name = kind.getBytes(StandardCharsets.US_ASCII);
        if (name.length > KIND_BYTES) {
            throw new IllegalArgumentException("file kind '" + kind + "' is longer than " + KIND_BYTES + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(VERSION).put(name);
        b.position(8 + KIND_BYTES);
        b.put(id(datastoreId)).put(id(setId));
        return b.clear();
    }

    private static byte[] id(String hex) {
        byte[] id;
        try {
            id = HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException | NullPointerException e) {
            id = null;
        }
        if (id == null || id.length != ID_BYTES) {
            throw new IllegalArgumentException("retrieval file id '" + hex + "' is not " + 2 * ID_BYTES + " hex digits");
        }
        return id;
    }

    /**
     * Checks the header {@code bytes} (at least {@value #HEADER_BYTES} of them, from the file's start or its
     * trailer) of {@code file}, expected to be a {@code kind} of the file set {@code setId} of datastore
     * {@code datastoreId}.
     *
     * @param setOwner names the manifest field holding {@code setId}, for the message
     * @param rebuild  the command that rebuilds an old, headerless directory
     * @throws IOException one line naming the file and what differs
     */
    static void check(Path file, ByteBuffer bytes, String kind, String datastoreId, String setId, String setOwner,
                      String rebuild) throws IOException {
        ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt();
        if (magic != MAGIC) {
            throw new IOException(file + ": no memdec retrieval header (magic 0x" + Integer.toHexString(magic)
                    + ", expected 'MDRF'); files written before memdec's headered format are not read, " + rebuild);
        }
        int version = b.getInt();
        if (version != VERSION) {
            throw new IOException(file + ": retrieval file format version " + version + ", this build reads version "
                    + VERSION + "; " + rebuild);
        }
        byte[] name = new byte[KIND_BYTES];
        b.get(name);
        int length = 0;
        while (length < name.length && name[length] != 0) {
            length++;
        }
        String actual = new String(name, 0, length, StandardCharsets.US_ASCII);
        if (!actual.equals(kind)) {
            throw new IOException(file + ": the header says this is a '" + actual + "' file, expected '" + kind
                    + "' (a file renamed or copied over another)");
        }
        byte[] ds = new byte[ID_BYTES];
        byte[] set = new byte[ID_BYTES];
        b.get(ds).get(set);
        String dsHex = HexFormat.of().formatHex(ds);
        String setHex = HexFormat.of().formatHex(set);
        if (!dsHex.equals(datastoreId)) {
            throw new IOException(file + ": belongs to datastore " + dsHex + ", not to " + datastoreId
                    + " (a file swapped in from another datastore)");
        }
        if (!setHex.equals(setId)) {
            throw new IOException(file + ": written by run " + setHex + ", not by " + setId + " (" + setOwner
                    + "; a file swapped in from another run over the same datastore)");
        }
    }

    /** Reads and checks the header at the start of {@code file} (see {@link #check}). */
    static void checkHeader(Path file, String kind, String datastoreId, String setId, String setOwner, String rebuild)
            throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // read until full or end of file
            }
            if (b.hasRemaining()) {
                throw new IOException(file + ": truncated, " + ch.size() + " bytes, shorter than the "
                        + HEADER_BYTES + "-byte memdec retrieval header; " + rebuild);
            }
            check(file, b.flip(), kind, datastoreId, setId, setOwner, rebuild);
        }
    }

    /**
     * Parses the manifest {@code file} (the one home for opening {@code datastore.json} and {@code knn.json}).
     *
     * @param missing appended to the "not found" message, e.g. "dir is not a finished datastore"
     * @throws IOException naming the file when it is missing, not UTF-8, or not JSON of {@code type}
     */
    static <T> T readManifest(Path file, Class<T> type, String missing) throws IOException {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": not found; " + missing, e);
        }
        return parseManifest(file, raw, type);
    }

    /** As {@link #readManifest} for bytes already read from {@code file}. */
    static <T> T parseManifest(Path file, byte[] raw, Class<T> type) throws IOException {
        try {
            return GSON.fromJson(TextFiles.decodeUtf8(file.toString(), raw), type);   // null for an empty file
        } catch (RuntimeException e) {   // Gson's JsonParseException, or a record constructor rejecting a field
            Throwable cause = e.getCause() != null && !(e instanceof JsonParseException) ? e.getCause() : e;
            throw new IOException(file + ": malformed manifest: " + cause.getMessage(), e);
        }
    }

    /**
     * Writes {@code index} to {@code file} (atomically) followed by the trailer of {@code kind} (see the class
     * comment).
     */
    static void writeIndex(FaissIndex index, Path file, String datastoreId, String setId) throws IOException {
        Path tmp = AtomicFiles.temporarySibling(file);
        try {
            index.write(tmp);
            long payload = Files.size(tmp);
            CRC32 crc = new CRC32();
            update(crc, tmp, payload);
            ByteBuffer trailer = ByteBuffer.allocate(TRAILER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            trailer.put(header(file.getFileName().toString(), datastoreId, setId)).putLong(payload);
            crc.update(trailer.array(), 0, HEADER_BYTES + 8);
            trailer.putLong(crc.getValue()).flip();
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                while (trailer.hasRemaining()) {
                    ch.write(trailer);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Checks the trailer and checksum of an index written by {@link #writeIndex}, then lets FAISS read it.
     *
     * @throws IOException one line naming the file: missing, truncated, another datastore's or run's, corrupted
     */
    static FaissIndex readIndex(Path file, String datastoreId, String setId, String setOwner, String rebuild)
            throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": FAISS index file not found");
        }
        long size = Files.size(file);
        if (size < TRAILER_BYTES) {
            throw new IOException(file + ": truncated, " + size + " bytes, shorter than the " + TRAILER_BYTES
                    + "-byte memdec retrieval trailer; " + rebuild);
        }
        ByteBuffer trailer = ByteBuffer.allocate(TRAILER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (trailer.hasRemaining() && ch.read(trailer, size - TRAILER_BYTES + trailer.position()) >= 0) {
                // read the last TRAILER_BYTES bytes
            }
        }
        trailer.flip();
        check(file, trailer.slice(0, HEADER_BYTES), file.getFileName().toString(), datastoreId, setId, setOwner,
                rebuild);
        long payload = trailer.getLong(HEADER_BYTES);
        if (payload != size - TRAILER_BYTES) {
            throw new IOException(file + ": " + size + " bytes, but its trailer records " + payload + " bytes of FAISS "
                    + "index before it (a truncated or extended file)");
        }
        CRC32 crc = new CRC32();
        update(crc, file, size - 8);
        long stored = trailer.getLong(HEADER_BYTES + 8);
        if (crc.getValue() != stored) {
            throw new IOException(file + ": checksum mismatch, CRC-32 is " + Long.toHexString(crc.getValue())
                    + " but the trailer records " + Long.toHexString(stored) + " (the file is corrupted)");
        }
        return FaissIndex.read(file);
    }

    private static void update(CRC32 crc, Path file, long length) throws IOException {
        byte[] buf = new byte[1 << 20];
        long left = length;
        try (InputStream in = Files.newInputStream(file)) {
            while (left > 0) {
                int r = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (r < 0) {
                    throw new IOException(file + ": ended at byte " + (length - left) + ", expected " + length);
                }
                crc.update(buf, 0, r);
                left -= r;
            }
        }
    }
}

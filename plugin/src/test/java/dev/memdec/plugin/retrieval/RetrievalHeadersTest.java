package dev.memdec.plugin.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.natives.faiss.FaissIndex;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link RetrievalFile} headers: every raw file of a datastore and a kNN directory carries one, and opening a
 * directory refuses, with one line naming the file, a header with the wrong magic or version, a file of another
 * datastore or another kNN run, a file renamed over another kind, a truncated file, and a manifest of the old
 * headerless layout. Each case works on a fresh copy of two small real datastores and their kNN directories.
 */
class RetrievalHeadersTest {

    private static final int D = 4;

    @TempDir
    static Path built;

    @TempDir
    Path tmp;

    @BeforeAll
    static void build() throws IOException {
        int[] values = new int[40];
        for (int i = 0; i < values.length; i++) {
            values[i] = i % 5;
        }
        try (Datastore a = TestDatastores.write(built.resolve("dsA"), D, values, r -> r)) {
            KnnBuilder.build(a, built.resolve("knnA"), KnnBuilderTest.flat(4, 1.0), n -> { });
            KnnBuilder.build(a, built.resolve("knnA2"), KnnBuilderTest.flat(3, 1.0), n -> { });
        }
        // same shape and entry count, another spec (window), so another datastore id
        DatastoreSpec other = new DatastoreSpec(TestDatastores.spec(D).host(), TestDatastores.spec(D).tokenizerSha256(),
                KeyType.FFN_INPUT, D, TestDatastores.spec(D).corpus(), 32, 16);
        try (DatastoreWriter w = DatastoreWriter.open(built.resolve("dsB"), other)) {
            float[] keys = new float[values.length * D];
            for (int r = 0; r < values.length; r++) {
                System.arraycopy(TestDatastores.key(r + 100, D), 0, keys, r * D, D);
            }
            w.append(keys, values, values.length);
            w.checkpoint(1);
            w.finish();
        }
        try (Datastore b = Datastore.open(built.resolve("dsB"))) {
            KnnBuilder.build(b, built.resolve("knnB"), KnnBuilderTest.flat(4, 1.0), n -> { });
        }
    }

    /** A fresh copy of the built directories under {@code tmp}. */
    private Path copy() throws IOException {
        for (String d : List.of("dsA", "dsB", "knnA", "knnA2", "knnB")) {
            Path to = tmp.resolve(d);
            Files.createDirectories(to);
            try (var files = Files.list(built.resolve(d))) {
                for (Path f : files.toList()) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
        }
        // knn.json records the datastore's path relative to the kNN directory: the copies keep the same layout
        return tmp;
    }

    private static void patch(Path file, long at, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), at);
        }
    }

    private static String refused(Executable open, String... expected) {
        Throwable e = assertThrows(Throwable.class, open::run);
        assertTrue(e instanceof IOException || e instanceof IllegalArgumentException, e.toString());
        String m = e.getMessage();
        assertEquals(1, m.lines().count(), "one line: " + m);
        for (String s : expected) {
            assertTrue(m.contains(s), "'" + s + "' in: " + m);
        }
        return m;
    }

    interface Executable {
        void run() throws Exception;
    }

    @Test
    void everyFileStartsWithTheHeaderOfItsKindAndIds() throws IOException {
        Path dir = copy();
        try (Datastore ds = Datastore.open(dir.resolve("dsA"));
             KnnDistributions knn = KnnDistributions.open(dir.resolve("knnA"))) {
            for (String f : List.of("keys.f16", "values.i32", "tokens.i32")) {
                RetrievalFile.checkHeader(dir.resolve("dsA").resolve(f), f, ds.id(), ds.id(), "", "");
            }
            for (String f : List.of("offsets.i64", "tokens.i32", "probs.f16", "labels.i32")) {
                RetrievalFile.checkHeader(dir.resolve("knnA").resolve(f), f, ds.id(), knn.manifest().id(), "", "");
            }
            assertEquals(ds.id(), knn.manifest().datastore().id());
            byte[] head = Files.readAllBytes(dir.resolve("dsA/values.i32"));
            assertEquals("MDRF", new String(head, 0, 4, StandardCharsets.US_ASCII));
            assertEquals(RetrievalFile.VERSION, ByteBuffer.wrap(head, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt());
            assertEquals(RetrievalFile.HEADER_BYTES + 4L * ds.count(), head.length);
            // the FAISS index carries the header as a trailer; FAISS still reads it and finds every key
            try (FaissIndex index = knn.openIndex(ds)) {
                assertEquals(ds.count(), index.size());
            }
        }
    }

    @Test
    void datastoresOfTheSameSpecAreByteIdenticalAndOthersDiffer() throws IOException {
        int[] values = new int[40];
        for (int i = 0; i < values.length; i++) {
            values[i] = i % 5;
        }
        try (Datastore again = TestDatastores.write(tmp.resolve("again"), D, values, r -> r);
             Datastore a = Datastore.open(built.resolve("dsA"));
             Datastore b = Datastore.open(built.resolve("dsB"))) {
            assertEquals(a.id(), again.id());
            for (String f : List.of("keys.f16", "values.i32", "tokens.i32", "datastore.json")) {
                assertTrue(java.util.Arrays.equals(Files.readAllBytes(built.resolve("dsA").resolve(f)),
                        Files.readAllBytes(tmp.resolve("again").resolve(f))), f);
            }
            assertTrue(!a.id().equals(b.id()), "another spec, another id");
        }
    }

    @Test
    void wrongMagicIsRefusedAsAnOldHeaderlessFile() throws IOException {
        Path dir = copy();
        patch(dir.resolve("dsA/keys.f16"), 0, new byte[] {1, 2, 3, 4});
        refused(() -> Datastore.open(dir.resolve("dsA")), "keys.f16", "no memdec retrieval header",
                "./memdec datastore");
        patch(dir.resolve("knnA/probs.f16"), 0, new byte[] {0, 0, 0, 0});
        refused(() -> KnnDistributions.open(dir.resolve("knnA")), "probs.f16", "no memdec retrieval header",
                "./memdec knn");
    }

    @Test
    void wrongVersionIsRefused() throws IOException {
        Path dir = copy();
        patch(dir.resolve("dsA/tokens.i32"), 4, new byte[] {99, 0, 0, 0});
        refused(() -> Datastore.open(dir.resolve("dsA")), "tokens.i32", "format version 99",
                "reads version " + RetrievalFile.VERSION);
        patch(dir.resolve("knnA/offsets.i64"), 4, new byte[] {2, 0, 0, 0});
        refused(() -> KnnDistributions.open(dir.resolve("knnA")), "offsets.i64", "format version 2");
    }

    @Test
    void aFileOfAnotherDatastoreIsRefused() throws IOException {
        Path dir = copy();
        Files.copy(dir.resolve("dsB/values.i32"), dir.resolve("dsA/values.i32"), StandardCopyOption.REPLACE_EXISTING);
        refused(() -> Datastore.open(dir.resolve("dsA")), "values.i32", "another datastore");
        Files.copy(dir.resolve("knnB/labels.i32"), dir.resolve("knnA/labels.i32"), StandardCopyOption.REPLACE_EXISTING);
        refused(() -> KnnDistributions.open(dir.resolve("knnA")), "labels.i32", "another datastore");
    }

    @Test
    void aFileOfAnotherKnnRunOverTheSameDatastoreIsRefused() throws IOException {
        Path dir = copy();
        // k 3 vs k 4 over 40 entries with 5 values: the label files are the same size and content, only the run differs
        Files.copy(dir.resolve("knnA2/labels.i32"), dir.resolve("knnA/labels.i32"), StandardCopyOption.REPLACE_EXISTING);
        refused(() -> KnnDistributions.open(dir.resolve("knnA")), "labels.i32", "another run", "knn.json field 'id'");
    }

    @Test
    void aFileRenamedOverAnotherKindIsRefused() throws IOException {
        Path dir = copy();
        Files.copy(dir.resolve("dsA/values.i32"), dir.resolve("dsA/tokens.i32"), StandardCopyOption.REPLACE_EXISTING);
        refused(() -> Datastore.open(dir.resolve("dsA")), "tokens.i32", "'values.i32' file, expected 'tokens.i32'");
    }

    @Test
    void truncatedFilesAreRefused() throws IOException {
        Path dir = copy();
        try (FileChannel ch = FileChannel.open(dir.resolve("dsA/keys.f16"), StandardOpenOption.WRITE)) {
            ch.truncate(10);
        }
        refused(() -> Datastore.open(dir.resolve("dsA")), "keys.f16", "truncated", "10 bytes");
        Path knn = dir.resolve("knnA/tokens.i32");
        try (FileChannel ch = FileChannel.open(knn, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 4);
        }
        refused(() -> KnnDistributions.open(dir.resolve("knnA")), "tokens.i32", "bytes, expected");
    }

    @Test
    void theIndexTrailerIsChecked() throws IOException {
        Path dir = copy();
        try (Datastore ds = Datastore.open(dir.resolve("dsA"));
             KnnDistributions knn = KnnDistributions.open(dir.resolve("knnA"))) {
            Path index = dir.resolve("knnA/index.faiss");
            byte[] good = Files.readAllBytes(index);
            // another run's index over the same datastore
            Files.copy(dir.resolve("knnA2/index.faiss"), index, StandardCopyOption.REPLACE_EXISTING);
            refused(() -> knn.openIndex(ds).close(), "index.faiss", "another run");
            // another datastore's index
            Files.copy(dir.resolve("knnB/index.faiss"), index, StandardCopyOption.REPLACE_EXISTING);
            refused(() -> knn.openIndex(ds).close(), "index.faiss", "another datastore");
            // one flipped byte inside FAISS's part
            byte[] bad = good.clone();
            bad[bad.length / 3] ^= 0x10;
            Files.write(index, bad);
            refused(() -> knn.openIndex(ds).close(), "index.faiss", "checksum mismatch");
            // truncated: the trailer is gone
            Files.write(index, java.util.Arrays.copyOf(good, good.length - 30));
            refused(() -> knn.openIndex(ds).close(), "index.faiss");
            Files.write(index, java.util.Arrays.copyOf(good, 20));
            refused(() -> knn.openIndex(ds).close(), "index.faiss", "truncated");
            // a plain FAISS index without the trailer (as memdec wrote before headers)
            Path plain = tmp.resolve("plain.faiss");
            try (FaissIndex i = knn.openIndex(ds)) {
                throw new AssertionError("the index above is damaged, openIndex must refuse it");
            } catch (IOException expected) {
                // fine
            }
            Files.write(index, good);
            try (FaissIndex i = knn.openIndex(ds)) {
                i.write(plain);
            }
            Files.copy(plain, index, StandardCopyOption.REPLACE_EXISTING);
            refused(() -> knn.openIndex(ds).close(), "index.faiss", "./memdec knn");
        }
    }

    @Test
    void oldHeaderlessManifestsSayToRebuild() throws IOException {
        Path dir = copy();
        Path m = dir.resolve("dsA/datastore.json");
        Files.writeString(m, Files.readString(m).replace("\"version\": 2", "\"version\": 1"));
        refused(() -> Datastore.open(dir.resolve("dsA")), "datastore.json", "version 1", "headerless",
                "./memdec datastore");
        Path k = dir.resolve("knnB/knn.json");
        Files.writeString(k, Files.readString(k).replace("\"version\": 2", "\"version\": 1"));
        refused(() -> KnnDistributions.open(dir.resolve("knnB")), "knn.json", "version 1", "./memdec knn");
    }
}

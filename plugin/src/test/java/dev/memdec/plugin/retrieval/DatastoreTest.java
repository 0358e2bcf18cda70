package dev.memdec.plugin.retrieval;

import dev.memdec.converter.io.AtomicFiles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatastoreTest {

    static final int D = 12;

    @TempDir
    Path tmp;

    static int[] values(int n) {
        return IntStream.range(0, n).map(i -> (i * 13) % 50).toArray();
    }

    @Test
    void writtenEntriesReadBackWithManifest() throws IOException {
        int n = 40;
        try (Datastore ds = TestDatastores.write(tmp.resolve("ds"), D, values(n), r -> r)) {
            assertEquals(n, ds.count());
            assertEquals(D, ds.dimension());
            DatastoreManifest m = ds.manifest();
            assertEquals(DatastoreManifest.FORMAT, m.format());
            assertEquals(TestDatastores.spec(D), m.spec());
            assertEquals(RetrievalFile.HEADER_BYTES + n * D * 2L, m.keys().bytes());
            assertEquals(AtomicFiles.sha256(tmp.resolve("ds/keys.f16")), m.keys().sha256());
            assertEquals(AtomicFiles.sha256(tmp.resolve("ds/values.i32")), m.values().sha256());
            ds.verifyChecksums();
            float[] row = new float[D];
            for (int r = 0; r < n; r++) {
                ds.readKeys(r, 1, row);
                float[] want = TestDatastores.key(r, D);
                for (int j = 0; j < D; j++) {
                    assertEquals(Float.float16ToFloat(Float.floatToFloat16(want[j])), row[j], "row " + r + " dim " + j);
                }
                assertEquals(values(n)[r], ds.value(r));
            }
            float[] block = new float[3 * D];
            ds.readKeys(5, 3, block);
            ds.readKeys(6, 1, row);
            assertArrayEquals(row, java.util.Arrays.copyOfRange(block, D, 2 * D));
            assertThrows(IndexOutOfBoundsException.class, () -> ds.readKeys(n - 1, 2, block));
        }
        String json = Files.readString(tmp.resolve("ds/datastore.json"));
        assertTrue(json.contains("\"keyType\": \"ffn-input\""), json);
        try (var files = Files.list(tmp.resolve("ds"))) {
            assertEquals(4, files.count(), "keys, values, (empty) tokens, manifest and nothing else");
        }
    }

    @Test
    void killedWriterResumesToTheSameBytes() throws IOException {
        int n = 30;
        TestDatastores.write(tmp.resolve("straight"), D, values(n), r -> r).close();

        Path dir = tmp.resolve("resumed");
        try (DatastoreWriter w = DatastoreWriter.open(dir, TestDatastores.spec(D))) {
            append(w, 0, 10);
            w.checkpoint(1);
            append(w, 10, 5);   // written after the last checkpoint: lost in the "kill"
        }
        assertFalse(Files.exists(dir.resolve("keys.f16")), "no final file before finish");
        assertThrows(IOException.class, () -> Datastore.open(dir));
        try (DatastoreWriter w = DatastoreWriter.open(dir, TestDatastores.spec(D))) {
            assertEquals(1, w.unitsDone());
            assertEquals(10, w.count());
            append(w, 10, 20);
            w.checkpoint(2);
            w.finish();
        }
        for (String f : new String[] {"keys.f16", "values.i32", "tokens.i32", "datastore.json"}) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("straight").resolve(f)), Files.readAllBytes(dir.resolve(f)), f);
        }
        assertFalse(Files.exists(dir.resolve(ResumableOutput.PROGRESS_FILE)));
    }

    private static void append(DatastoreWriter w, int first, int n) throws IOException {
        float[] keys = new float[n * D];
        int[] vals = new int[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(TestDatastores.key(first + i, D), 0, keys, i * D, D);
            vals[i] = values(first + n)[first + i];
        }
        w.append(keys, vals, n);
    }

    @Test
    void badInputGivesClearErrors() throws IOException {
        Path dir = tmp.resolve("ds");
        TestDatastores.write(dir, D, values(20), r -> r).close();

        IllegalArgumentException exists = assertThrows(IllegalArgumentException.class,
                () -> DatastoreWriter.open(dir, TestDatastores.spec(D)));
        assertTrue(exists.getMessage().contains("already holds a finished datastore"), exists.getMessage());

        Path empty = tmp.resolve("empty");
        try (DatastoreWriter w = DatastoreWriter.open(empty, TestDatastores.spec(D))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, w::finish);
            assertTrue(e.getMessage().contains("no entries"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new DatastoreSpec(TestDatastores.spec(D).host(), "x",
                KeyType.FINAL, D, java.util.List.of(), 64, 32));

        Path other = tmp.resolve("other");
        try (DatastoreWriter w = DatastoreWriter.open(other, TestDatastores.spec(D))) {
            append(w, 0, 3);
            w.checkpoint(1);
            assertThrows(IllegalArgumentException.class, () -> w.append(new float[D], new int[2], 2));
        }
        IllegalArgumentException changed = assertThrows(IllegalArgumentException.class,
                () -> DatastoreWriter.open(other, TestDatastores.spec(D + 1)));
        assertTrue(changed.getMessage().contains("dimension"), changed.getMessage());

        // a flipped byte: sizes still agree, the checksum does not
        Path keys = dir.resolve("keys.f16");
        byte[] bytes = Files.readAllBytes(keys);
        bytes[RetrievalFile.HEADER_BYTES + 17] ^= 1;
        Files.write(keys, bytes);
        try (Datastore ds = Datastore.open(dir)) {
            IOException e = assertThrows(IOException.class, ds::verifyChecksums);
            assertTrue(e.getMessage().contains("keys.f16") && e.getMessage().contains("checksum mismatch"), e.getMessage());
        }
        // a truncated file
        Files.write(dir.resolve("values.i32"), new byte[4], StandardOpenOption.TRUNCATE_EXISTING);
        IOException truncated = assertThrows(IOException.class, () -> Datastore.open(dir));
        assertTrue(truncated.getMessage().contains("values.i32") && truncated.getMessage().contains("truncated"),
                truncated.getMessage());
        // a manifest that is not one
        Files.writeString(dir.resolve("datastore.json"), "{\"format\":\"something-else\"}");
        IOException format = assertThrows(IOException.class, () -> Datastore.open(dir));
        assertTrue(format.getMessage().contains("format"), format.getMessage());
        Files.writeString(dir.resolve("datastore.json"), "{not json");
        assertThrows(IOException.class, () -> Datastore.open(dir));
    }
}

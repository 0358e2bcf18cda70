package dev.memdec.plugin.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KnnManifestTest {

    @Test
    void recordedDatastorePathResolvesAgainstTheKnnDirectory() {
        KnnManifest.DatastoreRef ref = new KnnManifest.DatastoreRef("ab", 1, 2, "../ds", "cd");
        assertEquals(Optional.of(Path.of("/w/ds")), ref.resolve(Path.of("/w/knn")));
        assertEquals(Optional.empty(), new KnnManifest.DatastoreRef("ab", 1, 2, null, "cd").resolve(Path.of("/w/knn")));
    }

    @Test
    void aPathThatIsNoPathIsNamed() {
        KnnManifest.DatastoreRef ref = new KnnManifest.DatastoreRef("ab", 1, 2, "d\u0000s", "cd");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ref.resolve(Path.of("/w/knn")));
        assertTrue(e.getMessage().contains("knn.json: datastore.path"), e.getMessage());
    }
}

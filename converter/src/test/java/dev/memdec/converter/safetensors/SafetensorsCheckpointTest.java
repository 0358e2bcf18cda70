package dev.memdec.converter.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsCheckpointTest {

    @TempDir
    Path dir;

    private void twoShards(String index) throws IOException {
        new SafetensorsWriter().add("a", new long[] {2}, new float[] {1, 2}).write(dir.resolve("s1.safetensors"));
        new SafetensorsWriter().add("b", new long[] {1}, new float[] {3}).write(dir.resolve("s2.safetensors"));
        Files.writeString(dir.resolve(SafetensorsCheckpoint.INDEX_FILE), index);
    }

    @Test
    void readsShardsThroughTheIndex() throws IOException {
        twoShards("{\"metadata\":{\"total_size\":12},\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}}");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertEquals(2, c.tensors().size());
            assertArrayEquals(new float[] {1, 2}, c.tensor("a").orElseThrow().toFloatArray());
            assertArrayEquals(new float[] {3}, c.tensor("b").orElseThrow().toFloatArray());
            assertEquals(12, c.dataBytes());
        }
    }

    @Test
    void rejectsIndexNamingTheWrongShard() throws IOException {
        twoShards("{\"weight_map\":{\"a\":\"s2.safetensors\",\"b\":\"s2.safetensors\"}}");
        String m = assertThrows(SafetensorsFormatException.class, () -> SafetensorsCheckpoint.open(dir)).getMessage();
        assertTrue(m.contains("'a'") && m.contains("s2.safetensors"), m);
    }

    @Test
    void rejectsShardTensorMissingFromIndex() throws IOException {
        twoShards("{\"weight_map\":{\"a\":\"s1.safetensors\"}}");
        new SafetensorsWriter().add("a", new long[] {1}, new float[] {1}).add("z", new long[] {1}, new float[] {1})
                .write(dir.resolve("s1.safetensors"));
        String m = assertThrows(SafetensorsFormatException.class, () -> SafetensorsCheckpoint.open(dir)).getMessage();
        assertTrue(m.contains("'z'") && m.contains("does not list"), m);
    }

    @Test
    void rejectsMissingShardFile() throws IOException {
        twoShards("{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s3.safetensors\"}}");
        String m = assertThrows(SafetensorsFormatException.class, () -> SafetensorsCheckpoint.open(dir)).getMessage();
        assertTrue(m.contains("s3.safetensors") && m.contains("'b'"), m);
    }

    @Test
    void rejectsDirectoryWithoutSafetensors() {
        String m = assertThrows(IOException.class, () -> SafetensorsCheckpoint.open(dir)).getMessage();
        assertTrue(m.contains("model.safetensors"), m);
    }
}

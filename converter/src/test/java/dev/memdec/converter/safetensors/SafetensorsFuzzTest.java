package dev.memdec.converter.safetensors;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.converter.fuzz.Fuzz;
import dev.memdec.converter.fuzz.Mutator;
import dev.memdec.converter.hf.HfArchitecture;
import dev.memdec.converter.hf.SyntheticHfCheckpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated safetensors checkpoints, single-file and sharded (the index JSON, each shard's binary header and its
 * JSON, and shards that disagree with the index), opened the way {@code convert} opens them and every tensor
 * read: each must open or be refused with an IOException naming the file.
 */
class SafetensorsFuzzTest {

    private static final int CASES = 10_000;

    @TempDir
    Path dir;

    private static SyntheticHfCheckpoint small(int shards) {
        return new SyntheticHfCheckpoint(HfArchitecture.GPT2, 1, 8, 2, 2, 16, 8, 272, true, SafetensorsDtype.F16, shards, 7);
    }

    private Map<String, byte[]> weights(int shards) throws IOException {
        Path ckpt = dir.resolve("valid-" + shards);
        small(shards).writeTo(ckpt);
        Map<String, byte[]> files = new TreeMap<>();
        for (Map.Entry<String, byte[]> f : Fuzz.read(ckpt).entrySet()) {
            if (f.getKey().endsWith(".safetensors") || f.getKey().endsWith(".index.json")) {
                files.put(f.getKey(), f.getValue());
            }
        }
        return files;
    }

    /** Opens every tensor as the converter does, and reads it whole. */
    private static void open(Path ckpt) throws IOException {
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(ckpt)) {
            for (SafetensorsTensor t : c.tensors().values()) {
                t.toFloatArray();
            }
        }
    }

    /** The default file edits, or an edit of a shard's JSON header that rewrites (or keeps) its length prefix. */
    private static Fuzz.Generator generator() {
        Fuzz.Generator files = Fuzz.files();
        return (valid, m) -> {
            if (m.random().nextInt(3) > 0) {
                return files.mutate(valid, m);
            }
            Map<String, byte[]> out = new TreeMap<>(valid);
            String[] shards = valid.keySet().stream().filter(n -> n.endsWith(".safetensors")).toArray(String[]::new);
            String name = shards[m.random().nextInt(shards.length)];
            m.note(name + " header:");
            out.put(name, editHeader(valid.get(name), m));
            return out;
        };
    }

    static byte[] editHeader(byte[] file, Mutator m) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int len = (int) b.getLong(0);
        byte[] header = m.json(Arrays.copyOfRange(file, 8, 8 + len));
        boolean fixLength = m.random().nextInt(4) > 0;
        m.note(fixLength ? "length prefix follows" : "length prefix kept");
        byte[] out = new byte[8 + header.length + file.length - 8 - len];
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, fixLength ? header.length : len);
        System.arraycopy(header, 0, out, 8, header.length);
        System.arraycopy(file, 8 + len, out, 8 + header.length, file.length - 8 - len);
        return out;
    }

    @Test
    void singleFileMutantsOpenOrFailNamingTheFile() throws IOException {
        Fuzz.Stats s = Fuzz.of("safetensors").run(dir.resolve("single"), weights(1), 20260402L, CASES, generator(),
                SafetensorsFuzzTest::open);
        assertTrue(s.rejected() > CASES / 2 && s.parsed() > 50, s.toString());
    }

    @Test
    void shardedMutantsOpenOrFailNamingTheFile() throws IOException {
        Fuzz.Stats s = Fuzz.of("safetensors-sharded").run(dir.resolve("sharded"), weights(3), 20260403L, CASES,
                generator(), SafetensorsFuzzTest::open);
        assertTrue(s.rejected() > CASES / 2 && s.parsed() > 50, s.toString());
    }
}

package dev.memdec.plugin.retrieval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/** Synthetic datastores for tests: Gaussian keys, values from a function of the row. */
public final class TestDatastores {

    private TestDatastores() {
    }

    public static DatastoreSpec spec(int dimension) {
        return new DatastoreSpec(new SourceFile("host.gguf", 1234, "ab".repeat(32)), "cd".repeat(32),
                KeyType.FFN_INPUT, dimension, List.of(new SourceFile("corpus.txt", 99, "ef".repeat(32))), 64, 32);
    }

    /** Row r's key; rows in {@code duplicateOf} copy the key of an earlier row. */
    public static float[] key(long row, int dimension) {
        SplittableRandom r = new SplittableRandom(row * 31 + 7);
        float[] k = new float[dimension];
        for (int j = 0; j < dimension; j++) {
            k[j] = (float) (r.nextDouble() * 2 - 1);
        }
        return k;
    }

    /**
     * Writes {@code n} entries in batches of 7; key of row r is {@code key(source.applyAsLong(r))} so tests can
     * plant exact duplicates, value of row r is {@code values[r]}.
     */
    public static Datastore write(Path dir, int dimension, int[] values, java.util.function.LongUnaryOperator keyOf)
            throws IOException {
        try (DatastoreWriter w = DatastoreWriter.open(dir, spec(dimension))) {
            int n = values.length;
            for (int first = 0; first < n; first += 7) {
                int m = Math.min(7, n - first);
                float[] keys = new float[m * dimension];
                int[] vals = new int[m];
                for (int i = 0; i < m; i++) {
                    System.arraycopy(key(keyOf.applyAsLong(first + i), dimension), 0, keys, i * dimension, dimension);
                    vals[i] = values[first + i];
                }
                w.append(keys, vals, m);
                w.checkpoint(first / 7 + 1);
            }
            w.finish();
        }
        return Datastore.open(dir);
    }

    /**
     * Writes {@code n} entries with {@code key(r)} and value {@code r % vocab} in one batch and one checkpoint (a
     * datastore big enough that kNN over it takes seconds, written in well under one).
     */
    public static Datastore large(Path dir, int dimension, int n, int vocab) throws IOException {
        try (DatastoreWriter w = DatastoreWriter.open(dir, spec(dimension))) {
            float[] keys = new float[n * dimension];
            int[] values = new int[n];
            for (int r = 0; r < n; r++) {
                System.arraycopy(key(r, dimension), 0, keys, r * dimension, dimension);
                values[r] = r % vocab;
            }
            w.append(keys, values, n);
            w.checkpoint(1);
            w.finish();
        }
        return Datastore.open(dir);
    }
}

package dev.memdec.trainer.train;

import dev.memdec.converter.eval.SlidingWindows;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.io.AtomicFiles;
import dev.memdec.plugin.retrieval.Datastore;
import dev.memdec.plugin.retrieval.DatastoreManifest;
import dev.memdec.plugin.retrieval.DatastoreSpec;
import dev.memdec.plugin.retrieval.KnnDistributions;
import dev.memdec.plugin.retrieval.KnnManifest;
import dev.memdec.plugin.retrieval.LineGroups;
import dev.memdec.plugin.retrieval.SourceFile;
import dev.memdec.plugin.retrieval.SparseDistribution;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The training windows of a datastore with its kNN distributions: the datastore's own sliding windows over its
 * stored token streams (or over its corpus re-tokenized, line by line as the datastore builder does), checked
 * token for token against the datastore's values, each scored position paired with the kNN row of its entry.
 *
 * <p>Datastore entry r ↔ kNN row r ↔ the r-th scored position in (file, window, position) order
 * (reference-spec §10.1); the constructor verifies the whole chain before training starts.
 */
public final class DatastoreWindows implements TrainingWindows, AutoCloseable {

    private record Entry(int[] tokens, SlidingWindows.Window window, long firstRow) {
    }

    private final KnnDistributions knn;
    private final List<Entry> windows;
    private final int vocab;
    private final String fingerprint;
    private final DatastoreSpec spec;
    private final String datastoreSha256;
    private final Datastore keys;

    private DatastoreWindows(KnnDistributions knn, List<Entry> windows, int vocab, String fingerprint, DatastoreSpec spec,
                             String datastoreSha256, Datastore keys) {
        this.keys = keys;
        this.knn = knn;
        this.windows = windows;
        this.vocab = vocab;
        this.fingerprint = fingerprint;
        this.spec = spec;
        this.datastoreSha256 = datastoreSha256;
    }

    /**
     * Opens and cross-checks a datastore and its kNN distributions. The windows' tokens are the token streams the
     * datastore stores; when {@code corpus} is not empty they come from those files instead, re-tokenized, after
     * checking that they are the datastore's corpus (for datastores that store no streams).
     *
     * @param corpus  the datastore's corpus files in order, or empty to read the stored streams
     * @param encoder the host's tokenizer (text → ids), applied per line as the datastore builder did
     * @throws IllegalArgumentException naming the file and field when the kNN directory belongs to another
     *     datastore, a corpus file is not the one the datastore was built from, the tokens differ from the
     *     datastore's values, or no corpus is given for a datastore without token streams
     */
    public static DatastoreWindows open(Path datastoreDir, Path knnDir, List<Path> corpus, Function<String, int[]> encoder)
            throws IOException {
        return open(datastoreDir, knnDir, corpus, encoder, false);
    }

    /**
     * As {@link #open(Path, Path, List, Function)}; with {@code withKeys} every window also carries the datastore's
     * keys of its scored positions ({@link KnnWindow#keys()}), read from the memory-mapped datastore on demand: the
     * input of an MLP memory.
     */
    public static DatastoreWindows open(Path datastoreDir, Path knnDir, List<Path> corpus, Function<String, int[]> encoder,
                                        boolean withKeys) throws IOException {
        KnnDistributions knn = KnnDistributions.open(knnDir);
        Datastore ds = null;
        try {
            ds = Datastore.open(datastoreDir);
            knn.checkAlignment(ds);
            DatastoreSpec spec = ds.manifest().spec();
            List<int[]> streams = new ArrayList<>();
            List<String> sources = new ArrayList<>();
            if (corpus.isEmpty()) {
                List<Integer> lengths = ds.manifest().streamLengths();
                // Without line groups the builder stores one stream per corpus file; with them, one per group.
                if (lengths.isEmpty() || spec.groupLines() == 0 && lengths.size() != spec.corpus().size()) {
                    throw new IllegalArgumentException("--datastore " + datastoreDir + ": stores " + lengths.size()
                            + " token streams in " + DatastoreManifest.TOKENS_FILE + " for " + spec.corpus().size()
                            + " corpus files (built without them); give its corpus files with --corpus");
                }
                for (int s = 0; s < lengths.size(); s++) {
                    streams.add(ds.tokens(s, 0, lengths.get(s)));
                    sources.add(datastoreDir.resolve(DatastoreManifest.TOKENS_FILE) + " stream " + s);
                }
            } else {
                if (corpus.size() != spec.corpus().size()) {
                    throw new IllegalArgumentException("--corpus: " + corpus.size() + " files given but " + datastoreDir
                            + " was built from " + spec.corpus().size() + " (" + spec.corpus().stream().map(SourceFile::path).toList() + ")");
                }
                for (int f = 0; f < corpus.size(); f++) {
                    Path file = corpus.get(f);
                    SourceFile expected = spec.corpus().get(f);
                    String sha = AtomicFiles.sha256(file);
                    if (!sha.equals(expected.sha256())) {
                        throw new IllegalArgumentException("--corpus " + file + ": SHA-256 " + sha + " differs from corpus file "
                                + f + " ('" + expected.path() + "', " + expected.sha256() + ") in " + datastoreDir
                                .resolve("datastore.json") + "; give the datastore's corpus files in their order");
                    }
                    for (int[] stream : LineGroups.streams(file.toString(), tokenizeLines(file, encoder),
                            spec.groupLines(), spec.windowCtx())) {
                        streams.add(stream);
                        sources.add("--corpus " + file);
                    }
                }
            }
            List<Entry> windows = new ArrayList<>();
            long row = 0;
            int maxId = knn.manifest().vocabSize() - 1;
            for (int f = 0; f < streams.size(); f++) {
                int[] tokens = streams.get(f);
                for (SlidingWindows.Window w : SlidingWindows.of(tokens.length, spec.windowCtx(), spec.windowStride())) {
                    if (w.scoredCount() == 0) {
                        continue;
                    }
                    for (int p = w.firstScored(); p < w.end(); p++) {
                        long r = row + (p - w.firstScored());
                        if (r >= ds.count() || ds.value(r) != tokens[p]) {
                            throw new IllegalArgumentException(sources.get(f) + ": token " + p + " is " + tokens[p]
                                    + " but datastore entry " + r + " has value "
                                    + (r < ds.count() ? Integer.toString(ds.value(r)) : "(none: past the end)")
                                    + "; these tokens are not the datastore's");
                        }
                    }
                    for (int i = w.begin(); i < w.end(); i++) {
                        maxId = Math.max(maxId, tokens[i]);
                    }
                    windows.add(new Entry(tokens, w, row));
                    row += w.scoredCount();
                }
            }
            if (row != ds.count()) {
                throw new IllegalArgumentException(datastoreDir + ": " + ds.count() + " entries but the corpus windows score "
                        + row + " positions");
            }
            String fingerprint = "datastore:" + ds.manifestSha256() + ":knn:"
                    + AtomicFiles.sha256(knnDir.resolve(KnnManifest.FILE));
            DatastoreWindows opened = new DatastoreWindows(knn, List.copyOf(windows), maxId + 1,
                    withKeys ? fingerprint + ":keys" : fingerprint, spec, ds.manifestSha256(), withKeys ? ds : null);
            if (!withKeys) {
                ds.close();
            }
            return opened;
        } catch (IOException | RuntimeException e) {
            knn.close();
            if (ds != null) {
                ds.close();
            }
            throw e;
        }
    }

    /** Every line (with its newline) encoded on its own, as the datastore build does (§2.1). */
    private static List<int[]> tokenizeLines(Path file, Function<String, int[]> encoder) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        List<int[]> lines = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int nl = text.indexOf('\n', start);
            int end = nl < 0 ? text.length() : nl + 1;
            lines.add(encoder.apply(text.substring(start, end)));
            start = end;
        }
        return lines;
    }

    /** The datastore's description: host, tokenizer hash, corpus files, window. */
    public DatastoreSpec spec() {
        return spec;
    }

    public String datastoreSha256() {
        return datastoreSha256;
    }

    /**
     * Provenance of a model trained on these windows, for its checkpoints and exported GGUF: {@code memdec.kind},
     * the tokenizer hash, the host, corpus, datastore and kNN settings, and where the weights started.
     */
    public Map<String, String> provenance(String kind, String init) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("memdec.kind", kind);
        m.put(GgufKeys.TOKENIZER_SHA256, spec.tokenizerSha256());
        m.put("memdec.host", spec.host().path() + " sha256:" + spec.host().sha256());
        m.put("memdec.corpus_sha256", String.join(",", spec.corpus().stream().map(SourceFile::sha256).toList()));
        m.put("memdec.datastore_sha256", datastoreSha256);
        m.put("memdec.knn", String.format(Locale.ROOT, "k %d, temperature %s, %s keys",
                knn.manifest().k(), knn.manifest().temperature(), spec.keyType()));
        m.put("memdec.init", init);
        return m;
    }

    public KnnManifest knnManifest() {
        return knn.manifest();
    }

    @Override
    public int size() {
        return windows.size();
    }

    @Override
    public KnnWindow window(int index) {
        Entry e = windows.get(index);
        SlidingWindows.Window w = e.window();
        int[] tokens = java.util.Arrays.copyOfRange(e.tokens(), w.begin(), w.end());
        int n = w.scoredCount();
        int[] scored = new int[n];
        int[] offsets = new int[n + 1];
        List<SparseDistribution> rows = new ArrayList<>(n);
        for (int s = 0; s < n; s++) {
            scored[s] = w.firstScored() - 1 - w.begin() + s;
            SparseDistribution d = knn.row(e.firstRow() + s);
            rows.add(d);
            offsets[s + 1] = offsets[s] + d.size();
        }
        int[] ids = new int[offsets[n]];
        float[] probs = new float[offsets[n]];
        for (int s = 0; s < n; s++) {
            System.arraycopy(rows.get(s).tokens(), 0, ids, offsets[s], rows.get(s).size());
            System.arraycopy(rows.get(s).probs(), 0, probs, offsets[s], rows.get(s).size());
        }
        float[] rowKeys = null;
        if (keys != null && n > 0) {
            rowKeys = new float[n * keys.dimension()];
            keys.readKeys(e.firstRow(), n, rowKeys);
        }
        return new KnnWindow(tokens, scored, offsets, ids, probs, rowKeys);
    }

    @Override
    public int vocab() {
        return vocab;
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }

    @Override
    public void close() {
        knn.close();
        if (keys != null) {
            keys.close();
        }
    }
}

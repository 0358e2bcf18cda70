package dev.memdec.plugin.retrieval;

import dev.memdec.converter.eval.SlidingWindows;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.plugin.HostModel;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.natives.llama.ContextOptions;
import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaModel;
import dev.memdec.natives.llama.ModelOptions;
import dev.memdec.natives.llama.RuntimeProfile;
import dev.memdec.natives.llama.Vocab;
import dev.memdec.plugin.stop.StoppedException;
import java.io.BufferedReader;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Builds a datastore by running the host in llama.cpp over a corpus (reference-spec §2–3): each corpus file is one
 * token stream, cut into the sliding windows of §2.3; for every scored target position t+1 the key is the host's
 * hidden state at t (captured with the eval callback) and the value is token t+1. The default key, the last block's
 * normalized FFN input, is formed from {@code ffn_inp} captured for every row ({@link KeySource.AllRowsFfnInput}),
 * so each window decodes as a plain prefill with one output row.
 *
 * <p>Tokenization follows §2.1: every line (with its newline) is tokenized on its own with the host's tokenizer,
 * without added BOS/EOS and without parsing special-token text, and the ids are concatenated. By default, unlike the
 * reference, lines are not grouped by 1000 with the remainder dropped (§2.2): nothing of the corpus is thrown away;
 * {@link Options#groupLines()} reproduces the reference's grouping.
 *
 * <p>Resumable per window: after a kill, or a {@linkplain StoppedException stop request} (checked before every
 * window and every tokenized line), the same call continues after the last completed window.
 */
public final class DatastoreBuilder {

    private static final System.Logger LOG = System.getLogger(DatastoreBuilder.class.getName());

    /**
     * @param ctx     window length B in tokens (at most the host's training context)
     * @param stride  window stride S, {@code 1 <= S <= B}
     * @param keyType which hidden state is the key
     * @param threads llama.cpp threads
     * @param groupLines 0: every corpus file is one token stream; n &gt; 0: as the reference (§2.2, n = 1000),
     *                every n lines of a file form their own stream, cut to a multiple of {@code ctx} tokens when
     *                at least {@code ctx} long (the remainder is dropped), with no left context across groups
     */
    public record Options(int ctx, int stride, KeyType keyType, int threads, int groupLines) {
        /** The reference's lines per group (HF {@code datasets.map(batched=True)}'s default batch size). */
        public static final int REFERENCE_GROUP_LINES = 1000;

        /** Whole files as streams: nothing of the corpus is dropped. */
        public Options(int ctx, int stride, KeyType keyType, int threads) {
            this(ctx, stride, keyType, threads, 0);
        }

        public Options {
            if (groupLines < 0) {
                throw new IllegalArgumentException("--group-lines must be 0 (off) or positive, got " + groupLines);
            }
            if (ctx < 2) {
                throw new IllegalArgumentException("--ctx must be at least 2, got " + ctx);
            }
            if (stride < 1 || stride > ctx) {
                throw new IllegalArgumentException("--stride must be in [1, --ctx=" + ctx + "], got " + stride);
            }
            if (threads < 1) {
                throw new IllegalArgumentException("--threads must be positive, got " + threads);
            }
        }
    }

    /** Told the total number of entries once the corpus is tokenized, then the entries written per window. */
    public interface Progress {
        void start(long totalEntries, long entriesDone);

        void step(long entries);
    }

    private record Stream(Path file, int[] tokens, List<SlidingWindows.Window> windows) {
    }

    private DatastoreBuilder() {
    }

    /**
     * Builds (or resumes) the datastore of {@code host} over {@code corpus} in {@code out}.
     *
     * @throws IllegalArgumentException for a missing corpus file, a corpus without scored positions, a window
     *                                  longer than the host's context, or an {@code out} that already holds a
     *                                  finished or differently configured datastore
     * @throws IOException              for an unreadable or malformed host file
     */
    public static DatastoreManifest build(Path host, List<Path> corpus, Path out, Options options, Progress progress)
            throws IOException {
        return build(host, corpus, out, options, progress, () -> false);
    }

    /**
     * As above, stopping with a {@link StoppedException} before the next window (or line to tokenize) once
     * {@code stop} is true; the windows completed so far stay checkpointed and native resources are closed.
     */
    public static DatastoreManifest build(Path host, List<Path> corpus, Path out, Options options, Progress progress,
                                          BooleanSupplier stop) throws IOException {
        Host checked = checkInputs(host, corpus, options);
        try (LlamaModel model = LlamaModel.load(host, ModelOptions.defaults())) {
            return build(checked, model, host, corpus, out, options, progress, stop);
        }
    }

    /**
     * As above, on {@code model}, the host already loaded from {@code host} (a Spark executor loads it once per
     * JVM for all its tasks); the model is left open.
     */
    public static DatastoreManifest build(LlamaModel model, Path host, List<Path> corpus, Path out, Options options,
                                          Progress progress, BooleanSupplier stop) throws IOException {
        return build(checkInputs(host, corpus, options), model, host, corpus, out, options, progress, stop);
    }

    /** The host file's identity, tokenizer and (for ffn-input keys) last-block norm, read before llama.cpp sees it. */
    private record Host(SourceFile file, String tokenizerSha256, FfnNorm ffnNorm) {
    }

    private static Host checkInputs(Path host, List<Path> corpus, Options options) throws IOException {
        if (corpus.isEmpty()) {
            throw new IllegalArgumentException("--corpus: no corpus files given");
        }
        for (Path c : corpus) {
            if (!Files.isRegularFile(c)) {
                throw new IllegalArgumentException("--corpus " + c + ": no such file");
            }
        }
        String tokenizerSha256;
        FfnNorm ffnNorm;
        HostModel.checkFile(host);   // the runtime's checks before llama.cpp sees the file (architecture by name)
        try (GgufFile gguf = GgufFile.open(host)) {
            tokenizerSha256 = BpeVocabulary.readFrom(gguf).sha256();
            ffnNorm = options.keyType() == KeyType.FFN_INPUT
                    && FfnNorm.rebuildsFromAllRows(gguf.architecture(), RuntimeProfile.selected())
                    ? FfnNorm.ofLastBlock(gguf) : null;
        }
        return new Host(SourceFile.of(host), tokenizerSha256, ffnNorm);
    }

    private static DatastoreManifest build(Host checked, LlamaModel model, Path host, List<Path> corpus, Path out,
                                           Options options, Progress progress, BooleanSupplier stop) throws IOException {
        List<SourceFile> corpusFiles = new ArrayList<>();
        for (Path c : corpus) {
            corpusFiles.add(SourceFile.of(c));
        }
        SourceFile hostFile = checked.file();
        String tokenizerSha256 = checked.tokenizerSha256();
        FfnNorm ffnNorm = checked.ffnNorm();
        {
            if (options.ctx() > model.nCtxTrain()) {
                throw new IllegalArgumentException("--ctx " + options.ctx() + " exceeds the host's training context "
                        + model.nCtxTrain() + " (" + host + ")");
            }
            List<Stream> streams = new ArrayList<>();
            long total = 0;
            long units = 0;
            for (Path c : corpus) {
                for (int[] tokens : LineGroups.streams(c.toString(), tokenizeLines(model.vocab(), c, stop),
                        options.groupLines(), options.ctx())) {
                    List<SlidingWindows.Window> windows = SlidingWindows.of(tokens.length, options.ctx(),
                            options.stride());
                    streams.add(new Stream(c, tokens, windows));
                    units += windows.size();
                    for (SlidingWindows.Window w : windows) {
                        total += w.scoredCount();
                    }
                }
            }
            if (total == 0) {
                throw new IllegalArgumentException("--corpus " + corpus + ": no scored positions (every file has fewer "
                        + "than 2 tokens); the datastore would be empty");
            }
            DatastoreSpec spec = new DatastoreSpec(hostFile, tokenizerSha256, options.keyType(), model.nEmbd(),
                    corpusFiles, options.ctx(), options.stride(), options.groupLines());
            KeySource keys = ffnNorm != null ? new KeySource.AllRowsFfnInput(ffnNorm)
                    : new KeySource.OutputRows(options.keyType() == KeyType.FFN_INPUT
                    ? LlamaContext.ffnInput(model.nLayer() - 1) : LlamaContext.RESULT_NORM);
            String tensor = keys.tensor();
            ContextOptions co = ContextOptions.defaults().withNCtx(options.ctx())
                    .withBatch(options.ctx(), Math.min(options.ctx(), 512))
                    .withThreads(options.threads(), options.threads()).withCapture(tensor);
            try (DatastoreWriter writer = DatastoreWriter.open(out, spec);
                 LlamaContext context = LlamaContext.create(model, co)) {
                writer.tokenStreams(streams.stream().map(Stream::tokens).toList());
                if (writer.unitsDone() > 0) {
                    LOG.log(Level.INFO, "{0}: resuming after window {1} ({2} entries)", out, writer.unitsDone(),
                            writer.count());
                }
                progress.start(total, writer.count());
                long unit = 0;
                long windows = units;
                for (Stream s : streams) {
                    for (SlidingWindows.Window w : s.windows()) {
                        if (unit++ < writer.unitsDone()) {
                            continue;
                        }
                        long completed = unit - 1;
                        StoppedException.check(stop, () -> "after window " + completed + " of " + windows + " ("
                                + writer.count() + " entries in " + out + ")");
                        writeWindow(context, keys, model.nEmbd(), s, w, writer);
                        writer.checkpoint(unit);
                        progress.step(w.scoredCount());
                    }
                }
                return writer.finish();
            }
        }
    }

    /** Decodes one window and appends key(t) ↔ token(t+1) for its scored targets t+1 in [firstScored, end). */
    private static void writeWindow(LlamaContext context, KeySource keySource, int d, Stream s,
                                    SlidingWindows.Window w, DatastoreWriter writer) throws IOException {
        int n = w.scoredCount();
        if (n == 0) {
            return;
        }
        int[] tokens = new int[w.length()];
        System.arraycopy(s.tokens(), w.begin(), tokens, 0, w.length());
        int firstKey = w.firstScored() - 1 - w.begin();   // window index of the first key's token t
        context.kvClear();
        context.decode(tokens, 0, keySource.outputs(tokens.length, firstKey));
        float[] keys = keySource.keys(context, firstKey, n);
        if (keys.length != (long) n * d) {
            throw new IllegalStateException(s.file() + ": window [" + w.begin() + ", " + w.end() + ") captured "
                    + keys.length + " floats of " + keySource.tensor() + ", expected " + n + "×" + d);
        }
        int[] values = new int[n];
        System.arraycopy(s.tokens(), w.firstScored(), values, 0, n);
        writer.append(keys, values, n);
    }

    /** §2.1: every line with its newline tokenized on its own, ids concatenated. */
    static int[] tokenize(Vocab vocab, Path file) throws IOException {
        return LineGroups.concat(file.toString(), tokenizeLines(vocab, file, () -> false));
    }

    /** The tokens of every line (with its newline; a last line without one too), in file order. */
    private static List<int[]> tokenizeLines(Vocab vocab, Path file, BooleanSupplier stop) throws IOException {
        List<int[]> lines = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            StringBuilder line = new StringBuilder();
            int ch;
            while ((ch = in.read()) >= 0) {
                line.append((char) ch);
                if (ch == '\n') {
                    StoppedException.check(stop, () -> "while tokenizing " + file + " (nothing written yet)");
                    lines.add(vocab.tokenize(line.toString(), false, false));
                    line.setLength(0);
                }
            }
            if (!line.isEmpty()) {
                lines.add(vocab.tokenize(line.toString(), false, false));
            }
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("--corpus " + file + ": not UTF-8 text (" + e + ")", e);
        }
        return lines;
    }
}

package dev.memdec.plugin;

import dev.memdec.natives.llama.LlamaContext;
import dev.memdec.natives.llama.LlamaRuntime;
import dev.memdec.plugin.mlp.MlpMemory;
import dev.memdec.plugin.parallel.WorkerTeam;
import java.util.Arrays;

/**
 * Two KV caches in step: the host's and (when a memory is attached) the memory's always hold exactly the same
 * tokens at the same positions. Every method runs on the {@link InferenceThread}; a decode runs the host pass
 * and then the memory pass, and if the memory pass fails the host is trimmed back, so the caches never diverge.
 * Input that would not fit the context is refused before either model sees it.
 */
final class JointDecoder implements AutoCloseable {

    private final LlamaContext host;
    private LlamaContext memory;
    /** An MLP memory instead of a llama.cpp one: it reads the host's captured key rows, so it has no cache. */
    private MlpMemory mlp;
    private String mlpKey;
    /** For each batch position of the last decode, its output row (-1 without one). */
    private int[] outputRow = new int[0];
    private int[] cached = new int[64];
    private int nPast;
    /** The MLP memory's logits of output rows [mlpFirst, mlpFirst + mlpRows) of the last decode (0 rows: none yet). */
    private float[] mlpLogits = new float[0];
    private int mlpFirst;
    private int mlpRows;
    /** Floats of MLP logits computed per batch of output rows (at most 64 rows; 32 MB at any vocabulary). */
    private static final int MLP_BATCH_FLOATS = 8 << 20;
    /** Time spent in the host's and the memory's decodes since the last {@link #takeDecodeNanos()} (bench's breakdown). */
    private long hostNanos;
    private long memoryNanos;

    /**
     * Most threads the mixing passes are split across, so that each part of a 151,669-token vocabulary keeps at least
     * four 8,192-token chunks (measured on two cores only).
     */
    private static final int MIXING_THREADS_MAX = 4;
    private WorkerTeam mixingTeam;
    private boolean mixingTeamChosen;

    JointDecoder(LlamaContext host) {
        this.host = host;
    }

    /**
     * The threads the mixing passes of this decoder's steps are split across ({@link LogMixer}): the host's decode
     * thread count, at most {@value #MIXING_THREADS_MAX}, started on first use and ended by {@link #close()}. Null
     * with one thread, and on an OpenMP build (b4916): there libgomp's workers still spin on the other cores right
     * after the decode, and a split step measured 3× slower than one thread (README, "Mixing on several threads").
     */
    WorkerTeam mixingTeam() {
        if (!mixingTeamChosen) {
            mixingTeamChosen = true;
            int threads = Math.min(host.threads(), MIXING_THREADS_MAX);
            if (threads > 1 && !LlamaRuntime.get().openMp()) {
                mixingTeam = new WorkerTeam(threads, "memdec-mix");
            }
        }
        return mixingTeam;
    }

    int nCtx() {
        return host.nCtx();
    }

    int nBatch() {
        return host.nBatch();
    }

    /** Tokens in both caches. */
    int nPast() {
        return nPast;
    }

    boolean hasMemory() {
        return memory != null || mlp != null;
    }

    /**
     * Replaces any memory with an MLP memory that reads the host's captured tensor {@code keyTensor} (null
     * detaches); the host context must capture it. The cache restarts empty.
     */
    void setMlp(MlpMemory m, String keyTensor) {
        setMemory(null);
        mlp = m;
        mlpKey = keyTensor;
    }

    /** Replaces the memory context (null detaches); the caches start empty so both models see the same tokens. */
    void setMemory(LlamaContext memoryContext) {
        checkThread();
        mlp = null;
        mlpKey = null;
        mlpRows = 0;
        LlamaContext old = memory;
        memory = null;
        if (old != null) {
            old.close();
        }
        host.kvClear();
        nPast = 0;
        if (memoryContext != null) {
            memoryContext.kvClear();
            memory = memoryContext;
        }
    }

    /**
     * Keeps the longest cached prefix shared with {@code sequence} (at most {@code sequence.length - 1} tokens, so
     * at least one token is left to decode and yield logits) and trims both caches after it.
     *
     * @return the number of tokens of {@code sequence} still cached
     */
    int reusePrefix(int[] sequence) {
        checkThread();
        int limit = Math.min(nPast, sequence.length - 1);
        int common = 0;
        while (common < limit && cached[common] == sequence[common]) {
            common++;
        }
        trimTo(common);
        return common;
    }

    /** Drops every token from position {@code n} on, in both caches. */
    void trimTo(int n) {
        checkThread();
        if (n < 0 || n > nPast) {
            throw new IllegalArgumentException("cannot trim to " + n + " tokens; the caches hold " + nPast);
        }
        if (n == nPast) {
            return;
        }
        if (n == 0) {
            host.kvClear();
            if (memory != null) {
                memory.kvClear();
            }
        } else {
            host.kvRemove(n, -1);
            if (memory != null) {
                memory.kvRemove(n, -1);
            }
        }
        nPast = n;
    }

    /** Empties both caches, also when a caller decoded into the contexts directly (benchmarks do). */
    void clear() {
        checkThread();
        host.kvClear();
        if (memory != null) {
            memory.kvClear();
        }
        nPast = 0;
    }

    /**
     * Decodes {@code tokens} (at most {@link #nBatch()} of them) in the host and then the memory, appending them
     * to both caches, with an output row for each token whose flag is set.
     *
     * @throws ContextOverflowException if the tokens do not fit the context (nothing is decoded then)
     */
    void decode(int[] tokens, boolean[] outputs) {
        checkThread();
        if (tokens.length > host.nBatch()) {
            throw new IllegalArgumentException(tokens.length + " tokens exceed the batch size " + host.nBatch());
        }
        if ((long) nPast + tokens.length > host.nCtx()) {
            throw new ContextOverflowException(nPast, tokens.length, host.nCtx());
        }
        long t0 = System.nanoTime();
        host.decode(tokens, nPast, outputs);
        hostNanos += System.nanoTime() - t0;
        mlpRows = 0;
        if (memory != null) {
            t0 = System.nanoTime();
            try {
                memory.decode(tokens, nPast, outputs);
                memoryNanos += System.nanoTime() - t0;
            } catch (RuntimeException e) {
                host.kvRemove(nPast, -1);
                throw e;
            }
        }
        if (cached.length < nPast + tokens.length) {
            cached = Arrays.copyOf(cached, Math.max(cached.length * 2, nPast + tokens.length));
        }
        System.arraycopy(tokens, 0, cached, nPast, tokens.length);
        nPast += tokens.length;
        outputRow = new int[outputs.length];
        int row = 0;
        for (int i = 0; i < outputs.length; i++) {
            outputRow[i] = outputs[i] ? row++ : -1;
        }
    }

    /** Nanoseconds the host's and the memory's decodes took since the last call: a joint step's parts, for bench. */
    long[] takeDecodeNanos() {
        long[] n = {hostNanos, memoryNanos};
        hostNanos = 0;
        memoryNanos = 0;
        return n;
    }

    /** Decodes any number of tokens in batches, keeping only the last token's output row. */
    void prefill(int[] tokens) {
        if ((long) nPast + tokens.length > host.nCtx()) {
            throw new ContextOverflowException(nPast, tokens.length, host.nCtx());
        }
        int batch = host.nBatch();
        for (int start = 0; start < tokens.length; start += batch) {
            int[] chunk = Arrays.copyOfRange(tokens, start, Math.min(tokens.length, start + batch));
            boolean[] outputs = new boolean[chunk.length];
            outputs[chunk.length - 1] = start + chunk.length == tokens.length;
            decode(chunk, outputs);
        }
    }

    /** The host's logits of output row {@code index} of the last decode (-1: its last token). */
    void hostLogits(int index, float[] dst) {
        host.copyLogits(index, dst);
    }

    /** The memory's logits of output row {@code index} of the last decode (-1: its last token). */
    void memoryLogits(int index, float[] dst) {
        if (mlp != null) {
            float[] keys = host.captured(mlpKey).values();
            int width = mlp.config().inputWidth();
            int row = index < 0 ? keys.length / width - 1 : outputRow[index];
            if (row < 0) {
                throw new IllegalArgumentException("batch position " + index + " of the last decode has no output row");
            }
            int vocab = mlp.config().vocab();
            if (row < mlpFirst || row >= mlpFirst + mlpRows) {
                // the rows from this one on, in one batch: perplexity asks for them in order, a step for its only row
                int batch = Math.min(keys.length / width - row, Math.max(1, Math.min(64, MLP_BATCH_FLOATS / vocab)));
                if (mlpLogits.length < batch * vocab) {
                    mlpLogits = new float[batch * vocab];
                }
                mlp.logits(keys, row * width, batch, mlpLogits);
                mlpFirst = row;
                mlpRows = batch;
            }
            System.arraycopy(mlpLogits, (row - mlpFirst) * vocab, dst, 0, vocab);
            return;
        }
        if (memory == null) {
            throw new IllegalStateException("no memory is attached");
        }
        memory.copyLogits(index, dst);
    }

    /** Rows of a tensor the host context captures, from its last decode (one row per output token). */
    float[] hostCaptured(String name) {
        return host.captured(name).values();
    }

    LlamaContext hostContext() {
        return host;
    }

    /** The memory's context, or null; for benchmarks that time one model alone (then {@link #clear()}). */
    LlamaContext memoryContext() {
        return memory;
    }

    /** The cached tokens, for tests. */
    int[] cachedTokens() {
        return Arrays.copyOf(cached, nPast);
    }

    @Override
    public void close() {
        if (mixingTeam != null) {
            mixingTeam.close();
            mixingTeam = null;
        }
        if (memory != null) {
            memory.close();
            memory = null;
        }
        host.close();
    }

    private static void checkThread() {
        if (!InferenceThread.isCurrent()) {
            throw new IllegalStateException("native decoding must run on the memdec inference thread");
        }
    }
}

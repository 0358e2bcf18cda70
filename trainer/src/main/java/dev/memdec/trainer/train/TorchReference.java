package dev.memdec.trainer.train;

import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.safetensors.SafetensorsFile;
import dev.memdec.converter.safetensors.SafetensorsTensor;
import dev.memdec.converter.safetensors.SafetensorsWriter;
import dev.memdec.trainer.model.Gpt2Lm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * PyTorch eager as an outside reference for the DJL trainer: {@code torch_reference.py} (a resource next to this
 * class) runs under Debian's {@code /usr/bin/python3} with {@code python3-torch} (installed by scripts/setup.sh) and
 * computes the same GPT-2 forward pass, the reference-spec §6.3 loss on densified kNN rows, and
 * {@code torch.optim.AdamW} + {@code LambdaLR} linear decay + {@code clip_grad_norm_}.
 *
 * <p>Weights and batches travel in a safetensors file (all F32; token ids are exact below 2^24), results come back
 * in another. A batch is a list of windows of one length; {@code labels} carry −100 at unscored positions as in
 * the reference's collate function, and the kNN rows go as they are stored (not renormalised, duplicates kept).
 */
public final class TorchReference {

    /** Debian's interpreter, which sees python3-torch (a pyenv python3 earlier on PATH does not). */
    public static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final String SCRIPT = "torch_reference.py";

    /** Step statistics of the reference: loss terms and the gradient norm before clipping. */
    public record StepTerms(float loss, float kl, float ce, float gradNorm) {
    }

    /** One reference step: its loss terms, raw gradients (before clipping) and the parameters after the update. */
    public record Step(StepTerms terms, Map<String, float[]> gradients, Map<String, float[]> parameters) {
    }

    /** What the reference computed: the first batch's logits [B·T·V] and one {@link Step} per batch. */
    public record Check(float[] logits, List<Step> steps, String torchVersion) {
    }

    /** Timed training steps of the reference: wall and process CPU seconds. */
    public record Timing(double seconds, double cpuSeconds, long tokens, int threads, String torchVersion) {
        public double tokensPerSecond() {
            return tokens / seconds;
        }
    }

    private final Gpt2Config config;
    private final Gpt2Lm.TensorSource weights;
    private final float beta;
    private final AdamW.Settings optimizer;
    private final int threads;

    /**
     * @param weights   initial parameters (GGUF names, PyTorch shapes)
     * @param optimizer learning rate, clipping and schedule length (the reference's β, ε and weight decay 0)
     * @param threads   torch intra-op threads (also OMP_NUM_THREADS of the interpreter)
     */
    public TorchReference(Gpt2Config config, Gpt2Lm.TensorSource weights, float beta, AdamW.Settings optimizer,
                          int threads) {
        if (optimizer.weightDecay() != 0f || optimizer.beta1() != 0.9f || optimizer.beta2() != 0.999f
                || optimizer.eps() != 1e-8f) {
            throw new IllegalArgumentException("the torch reference runs AdamW with the reference's betas (0.9, 0.999), "
                    + "eps 1e-8 and weight decay 0, got " + optimizer);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.config = config;
        this.weights = weights;
        this.beta = beta;
        this.optimizer = optimizer;
        this.threads = threads;
    }

    /**
     * One forward/backward per batch with an optimizer step after each, in {@code work} (a scratch directory).
     *
     * @throws IOException when the interpreter fails; its stderr is in the message
     */
    public Check check(List<List<KnnWindow>> batches, Path work) throws IOException {
        Path out = run(batches, work, "check");
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            List<Step> steps = new ArrayList<>();
            for (int i = 0; i < batches.size(); i++) {
                Map<String, float[]> gradients = new LinkedHashMap<>();
                Map<String, float[]> parameters = new LinkedHashMap<>();
                for (String name : Gpt2Lm.trainableTensors(config).keySet()) {
                    gradients.put(name, floats(f, "step" + i + ".grad." + name));
                    parameters.put(name, floats(f, "step" + i + ".param." + name));
                }
                float[] t = floats(f, "step" + i + ".terms");
                steps.add(new Step(new StepTerms(t[0], t[1], t[2], t[3]), gradients, parameters));
            }
            return new Check(floats(f, "logits"), steps, f.metadata().get("torch_version"));
        }
    }

    /** Times {@code warmup + steps} training steps cycling over {@code batches}; only the last {@code steps} count. */
    public Timing bench(List<List<KnnWindow>> batches, int warmup, int steps, Path work) throws IOException {
        if (warmup < 0 || steps < 1) {
            throw new IllegalArgumentException("need warmup >= 0 and steps >= 1, got " + warmup + " and " + steps);
        }
        Path out = run(batches, work, "bench", Integer.toString(warmup), Integer.toString(steps));
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            return new Timing(floats(f, "seconds")[0], floats(f, "cpu_seconds")[0], (long) floats(f, "tokens")[0],
                    Integer.parseInt(f.metadata().get("threads")), f.metadata().get("torch_version"));
        }
    }

    private Path run(List<List<KnnWindow>> batches, Path work, String mode, String... extra) throws IOException {
        Files.createDirectories(work);
        Path script = work.resolve(SCRIPT);
        try (InputStream in = TorchReference.class.getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IllegalStateException(SCRIPT + " is missing from the classpath next to " + TorchReference.class.getName());
            }
            Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Path input = work.resolve("torch-in.safetensors");
        Path output = work.resolve("torch-out.safetensors");
        Path log = work.resolve("torch.log");
        writeInput(batches, input);
        Files.deleteIfExists(output);
        if (!Files.isExecutable(PYTHON)) {
            throw new IllegalStateException(PYTHON + " not found: install Debian's python3-torch (scripts/setup.sh does)");
        }
        List<String> command = new ArrayList<>(List.of(PYTHON.toString(), script.toString(), mode, input.toString(),
                output.toString()));
        command.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        pb.environment().put("MKL_NUM_THREADS", Integer.toString(threads));
        pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));   // Debian's torch runs GEMMs in OpenBLAS
        int code;
        try {
            code = pb.start().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + PYTHON, e);
        }
        if (code != 0 || !Files.isRegularFile(output)) {
            String text = Files.readString(log, StandardCharsets.UTF_8);
            throw new IOException(PYTHON + " " + SCRIPT + " " + mode + " exited with " + code + " (scripts/setup.sh installs "
                    + "python3-torch): " + text.substring(Math.max(0, text.length() - 2000)));
        }
        return output;
    }

    private void writeInput(List<List<KnnWindow>> batches, Path file) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        w.metadata("layers", Integer.toString(config.layers()))
                .metadata("heads", Integer.toString(config.heads()))
                .metadata("eps", Float.toString(config.eps()))
                .metadata("beta", Float.toString(beta))
                .metadata("lr", Float.toString(optimizer.lr()))
                .metadata("clip", Float.toString(optimizer.clip()))
                .metadata("total_steps", Long.toString(optimizer.totalSteps()))
                .metadata("threads", Integer.toString(threads));
        for (Map.Entry<String, long[]> t : Gpt2Lm.trainableTensors(config).entrySet()) {
            w.add(t.getKey(), t.getValue(), weights.read(t.getKey(), t.getValue()));
        }
        for (int b = 0; b < batches.size(); b++) {
            addBatch(w, "batch" + b + ".", batches.get(b));
        }
        w.write(file);
    }

    private static void addBatch(SafetensorsWriter w, String prefix, List<KnnWindow> windows) {
        int length = windows.get(0).tokens().length;
        int rows = 0;
        int entries = 0;
        for (KnnWindow win : windows) {
            if (win.tokens().length != length) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "torch reference: windows of one batch must have one length, got %d and %d", length, win.tokens().length));
            }
            if (!win.hasKnnTargets()) {
                throw new IllegalArgumentException("torch reference: every window needs kNN targets");
            }
            rows += win.scored().length;
            entries += win.ids().length;
        }
        if (entries >= 1 << 24) {
            throw new IllegalArgumentException("torch reference: " + entries + " kNN entries in one batch; offsets travel as "
                    + "F32 and are exact only below 2^24");
        }
        float[] tokens = new float[windows.size() * length];
        float[] labels = new float[tokens.length];
        java.util.Arrays.fill(labels, -100f);
        float[] offsets = new float[rows + 1];
        float[] ids = new float[entries];
        float[] probs = new float[entries];
        int row = 0;
        int entry = 0;
        for (int i = 0; i < windows.size(); i++) {
            KnnWindow win = windows.get(i);
            for (int t = 0; t < length; t++) {
                tokens[i * length + t] = win.tokens()[t];
            }
            for (int s = 0; s < win.scored().length; s++) {
                labels[i * length + win.scored()[s] + 1] = win.label(s);
                for (int j = win.offsets()[s]; j < win.offsets()[s + 1]; j++) {
                    ids[entry] = win.ids()[j];
                    probs[entry] = win.probs()[j];
                    entry++;
                }
                offsets[++row] = entry;
            }
        }
        w.add(prefix + "tokens", new long[] {windows.size(), length}, tokens);
        w.add(prefix + "labels", new long[] {windows.size(), length}, labels);
        w.add(prefix + "knn_offsets", new long[] {rows + 1}, offsets);
        w.add(prefix + "knn_ids", new long[] {entries}, ids);
        w.add(prefix + "knn_probs", new long[] {entries}, probs);
    }

    private static float[] floats(SafetensorsFile f, String name) {
        SafetensorsTensor t = f.tensor(name).orElseThrow(() -> new IllegalStateException(
                f.path() + ": the torch reference wrote no tensor " + name));
        return t.toFloatArray();
    }
}

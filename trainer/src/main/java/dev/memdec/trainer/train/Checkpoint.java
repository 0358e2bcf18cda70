package dev.memdec.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import dev.memdec.converter.io.TextFiles;
import dev.memdec.trainer.model.LmConfig;
import dev.memdec.trainer.model.TensorSource;
import dev.memdec.trainer.model.TrainableModel;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Checkpoint directories {@code OUT/checkpoints/step-NNNNNNNNN/} holding {@code model.ndlist} (parameters by
 * GGUF name), {@code optimizer.ndlist} (AdamW moments) and {@code state.json}. A checkpoint is written into a
 * temporary directory and renamed into place, so every directory with the final name is complete.
 */
public final class Checkpoint {

    public static final String MODEL = "model.ndlist";
    public static final String OPTIMIZER = "optimizer.ndlist";
    public static final String STATE = "state.json";
    private static final String PREFIX = "step-";
    private static final int KEEP = 2;
    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().setPrettyPrinting().create();

    private Checkpoint() {
    }

    public static Path directory(Path out) {
        return out.resolve("checkpoints");
    }

    /** Writes a checkpoint of {@code state.step()} and keeps only the newest {@value #KEEP}. */
    public static Path save(Path out, TrainableModel model, AdamW optimizer, TrainingState state) throws IOException {
        Path dir = directory(out);
        Files.createDirectories(dir);
        String name = String.format("%s%09d", PREFIX, state.step());
        Path target = dir.resolve(name);
        Path tmp = dir.resolve(".tmp-" + name);
        if (Files.exists(tmp)) {
            deleteTree(tmp);   // left by a run killed while writing
        }
        Files.createDirectory(tmp);
        NDList params = new NDList();
        for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
            p.getValue().setName(p.getKey());
            params.add(p.getValue());
        }
        writeSynced(tmp.resolve(MODEL), params::encode);
        writeSynced(tmp.resolve(OPTIMIZER), optimizer.state()::encode);
        writeSynced(tmp.resolve(STATE), s -> s.write(GSON.toJson(state).getBytes(StandardCharsets.UTF_8)));
        if (Files.exists(target)) {
            deleteTree(target);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        List<Path> all = list(out);
        for (int i = 0; i < all.size() - KEEP; i++) {
            deleteTree(all.get(i));
        }
        return target;
    }

    /** The newest complete checkpoint under {@code out}, if any. */
    public static Optional<Path> latest(Path out) throws IOException {
        List<Path> all = list(out);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /**
     * Resolves {@code --checkpoint DIR}: a checkpoint directory itself, or a training output directory
     * (then its newest checkpoint).
     */
    public static Path resolve(Path dirOrOut) throws IOException {
        if (Files.isRegularFile(dirOrOut.resolve(STATE))) {
            return dirOrOut;
        }
        return latest(dirOrOut).orElseThrow(() -> new IllegalArgumentException("--checkpoint " + dirOrOut
                + ": neither a checkpoint (no " + STATE + ") nor a training output directory with checkpoints/"));
    }

    public static TrainingState readState(Path checkpoint) throws IOException {
        Path file = checkpoint.resolve(STATE);
        TrainingState s;
        try {
            s = GSON.fromJson(TextFiles.readUtf8(file), TrainingState.class);
        } catch (RuntimeException e) {
            // Gson's JsonParseException, its NumberFormatException/IllegalStateException for a value of the wrong
            // kind, or a record constructor (Gpt2Config, TrainingOptions) refusing a field
            throw new IllegalArgumentException(file + ": malformed training state: " + e.getMessage(), e);
        }
        if (s == null || s.format() != TrainingState.FORMAT || s.model() == null
                || s.options() == null) {
            throw new IllegalArgumentException(file + ": not a memdec training state of format " + TrainingState.FORMAT);
        }
        // the shape decides what is allocated next: it must fit the parameters the model file really holds
        long modelBytes = Files.size(checkpoint.resolve(MODEL));
        long parameters;
        try {
            parameters = s.model().parameterCount();
        } catch (ArithmeticException overflow) {
            parameters = Long.MAX_VALUE;
        }
        if (parameters > modelBytes / 4) {
            throw new IllegalArgumentException(file + ": field '" + s.modelField() + "' " + s.model() + " needs "
                    + (parameters == Long.MAX_VALUE ? "more than 2^63" : parameters) + " float parameters but "
                    + MODEL + " holds only " + modelBytes + " bytes");
        }
        return s;
    }

    /** The saved parameters as a tensor source for {@link LmConfig#create}. */
    public static TensorSource modelTensors(NDManager manager, Path checkpoint) throws IOException {
        Path file = checkpoint.resolve(MODEL);
        NdListFile.check(file);
        Map<String, float[]> values = new HashMap<>();
        try (NDManager scratch = manager.newSubManager(); InputStream in = Files.newInputStream(file)) {
            for (NDArray a : NDList.decode(scratch, in)) {
                values.put(a.getName(), a.toFloatArray());
            }
        }
        return (name, shape) -> {
            float[] v = values.get(name);
            if (v == null) {
                throw new IllegalArgumentException(file + ": tensor " + name + " is missing");
            }
            if (v.length != LmConfig.count(shape)) {
                throw new IllegalArgumentException(file + ": tensor " + name + " holds " + v.length
                        + " values, its shape " + java.util.Arrays.toString(shape) + " needs " + LmConfig.count(shape));
            }
            return v;
        };
    }

    public static void loadOptimizer(NDManager manager, Path checkpoint, AdamW optimizer) throws IOException {
        Path file = checkpoint.resolve(OPTIMIZER);
        NdListFile.check(file);
        try (NDManager scratch = manager.newSubManager(); InputStream in = Files.newInputStream(file)) {
            optimizer.load(NDList.decode(scratch, in), file.toString());
        }
    }

    private static List<Path> list(Path out) throws IOException {
        Path dir = directory(out);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> all = new ArrayList<>(s.filter(p -> p.getFileName().toString().startsWith(PREFIX)
                    && Files.isRegularFile(p.resolve(STATE))).toList());
            all.sort(Comparator.comparing(p -> p.getFileName().toString()));
            return all;
        }
    }

    @FunctionalInterface
    private interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private static void writeSynced(Path file, Writer writer) throws IOException {
        try (FileOutputStream fos = new FileOutputStream(file.toFile());
             OutputStream out = new BufferedOutputStream(fos, 1 << 20)) {
            writer.write(out);
            out.flush();
            fos.getChannel().force(true);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

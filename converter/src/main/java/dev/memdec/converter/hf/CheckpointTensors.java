package dev.memdec.converter.hf;

import dev.memdec.converter.safetensors.SafetensorsCheckpoint;
import dev.memdec.converter.safetensors.SafetensorsTensor;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The checkpoint's tensors as a layout consumes them: every lookup checks presence, dtype and the shape that
 * config.json implies, and {@link #requireAllUsed} refuses leftovers, because llama.cpp rejects a GGUF whose
 * tensor set is not exactly the expected one and silently dropping weights would change the model.
 */
final class CheckpointTensors {

    private final SafetensorsCheckpoint checkpoint;
    private final HfConfig config;
    private final Set<String> used = new HashSet<>();

    CheckpointTensors(SafetensorsCheckpoint checkpoint, HfConfig config) {
        this.checkpoint = checkpoint;
        this.config = config;
    }

    boolean has(String name) {
        return checkpoint.tensor(name).isPresent();
    }

    /** The tensor, which must exist with exactly {@code shape} (PyTorch order). */
    SafetensorsTensor require(String name, long... shape) {
        return optional(name, shape).orElseThrow(() -> new IllegalArgumentException(checkpoint.directory()
                + ": missing tensor '" + name + "' (needed for " + config.architecture() + ")"));
    }

    /** The tensor if present, checked like {@link #require}. */
    Optional<SafetensorsTensor> optional(String name, long... shape) {
        Optional<SafetensorsTensor> found = checkpoint.tensor(name);
        found.ifPresent(t -> {
            if (!Arrays.equals(t.shape(), shape)) {
                throw new IllegalArgumentException(t.file() + ": tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                        + " but " + config.file().getFileName() + " implies " + Arrays.toString(shape));
            }
            if (!t.dtype().isConvertible()) {
                throw new IllegalArgumentException(t.file() + ": tensor '" + name + "' has unsupported dtype " + t.dtype()
                        + ", expected F32, F16 or BF16");
            }
            used.add(name);
        });
        return found;
    }

    /** Marks tensors that are deliberately not converted (attention-mask buffers, rotary caches). */
    void skip(Predicate<String> buffers) {
        checkpoint.tensors().keySet().stream().filter(buffers).forEach(used::add);
    }

    /** Fails naming every tensor no layout rule consumed. */
    void requireAllUsed() {
        Set<String> left = new TreeSet<>(checkpoint.tensors().keySet());
        left.removeAll(used);
        if (!left.isEmpty()) {
            List<String> shown = left.stream().limit(8).toList();
            throw new IllegalArgumentException(checkpoint.directory() + ": " + left.size() + " tensor(s) that "
                    + config.architecture() + " conversion does not know: " + shown + (left.size() > shown.size() ? " ..." : ""));
        }
    }

    static long[] ne(long... pytorchShape) {
        long[] ne = new long[pytorchShape.length];
        for (int i = 0; i < ne.length; i++) {
            ne[i] = pytorchShape[pytorchShape.length - 1 - i];
        }
        return ne;
    }
}

package dev.memdec.trainer.demo;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.memdec.converter.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The directory of one pipeline stage, named by the stage and a hash of everything it depends on (its settings
 * and the SHA-256 of its inputs): a changed input gets a fresh directory, an unchanged one finds its finished
 * result (a {@code done.json} written last) or the partial state the stage resumes from.
 */
final class StageDir {

    static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
    private static final String DONE = "done.json";

    private final Path dir;
    private final String key;

    private StageDir(Path dir, String key) {
        this.dir = dir;
        this.key = key;
    }

    /** The stage directory under {@code work} for {@code inputs} (any Gson-serialisable description). */
    static StageDir of(Path work, String stage, Object inputs) {
        String json = GSON.toJson(inputs);
        String key = AtomicFiles.sha256(json.getBytes(StandardCharsets.UTF_8));
        return new StageDir(work.resolve(stage + "-" + key.substring(0, 12)), json);
    }

    /** Key/value pairs in the given order (Map.of's order varies between runs, which would change the key). */
    static Map<String, Object> inputs(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    Path path() {
        return dir;
    }

    /** The JSON of the inputs this stage is keyed by. */
    String inputsJson() {
        return key;
    }

    Path resolve(String name) {
        return dir.resolve(name);
    }

    /** The finished result, if this stage completed before. */
    <T> Optional<T> done(Class<T> type) throws IOException {
        Path f = dir.resolve(DONE);
        return Files.isRegularFile(f) ? Optional.of(GSON.fromJson(Files.readString(f), type)) : Optional.empty();
    }

    /** Marks the stage finished with {@code result}; the inputs it was keyed by are kept beside it. */
    <T> T finish(T result) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.write(dir.resolve("inputs.json"), key.getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve(DONE), GSON.toJson(result).getBytes(StandardCharsets.UTF_8));
        return result;
    }
}

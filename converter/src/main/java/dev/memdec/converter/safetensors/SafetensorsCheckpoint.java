package dev.memdec.converter.safetensors;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.memdec.converter.io.TextFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The weights of an HF checkpoint directory: either one {@code model.safetensors} or the shards listed in
 * {@code model.safetensors.index.json}. Every shard is validated by {@link SafetensorsFile#open}; for a sharded
 * checkpoint the index's {@code weight_map} must name exactly the tensors each shard holds.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path directory;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsTensor> tensors;

    private SafetensorsCheckpoint(Path directory, List<SafetensorsFile> files, Map<String, SafetensorsTensor> tensors) {
        this.directory = directory;
        this.files = files;
        this.tensors = tensors;
    }

    /** Opens the safetensors weights in {@code directory} (index first, then the single file). */
    public static SafetensorsCheckpoint open(Path directory) throws IOException {
        Path index = directory.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return openSharded(directory, index);
        }
        Path single = directory.resolve(SINGLE_FILE);
        if (!Files.isRegularFile(single)) {
            throw new IOException(directory + ": no " + SINGLE_FILE + " or " + INDEX_FILE
                    + " (only safetensors checkpoints are supported; re-save PyTorch .bin weights with safetensors)");
        }
        SafetensorsFile file = SafetensorsFile.open(single);
        return new SafetensorsCheckpoint(directory, List.of(file), file.tensors());
    }

    private static SafetensorsCheckpoint openSharded(Path directory, Path index) throws IOException {
        Map<String, String> weightMap = readWeightMap(index);
        Map<String, List<String>> byShard = new TreeMap<>();
        weightMap.forEach((tensor, shard) -> byShard.computeIfAbsent(shard, s -> new ArrayList<>()).add(tensor));
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<String, SafetensorsTensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, List<String>> e : byShard.entrySet()) {
                Path shardPath = shardPath(directory, e.getKey());
                if (shardPath == null || !shardPath.startsWith(directory.normalize()) || !Files.isRegularFile(shardPath)) {
                    throw new SafetensorsFormatException(index, "weight_map names shard '" + e.getKey()
                            + "' (for tensor '" + e.getValue().getFirst() + "'), which is not a file in " + directory);
                }
                SafetensorsFile shard = SafetensorsFile.open(shardPath);
                opened.add(shard);
                for (String name : e.getValue()) {
                    SafetensorsTensor t = shard.tensor(name).orElseThrow(() -> new SafetensorsFormatException(index,
                            "weight_map puts tensor '" + name + "' in " + e.getKey() + ", which does not contain it"));
                    tensors.put(name, t);
                }
                for (String name : shard.tensors().keySet()) {
                    if (!e.getKey().equals(weightMap.get(name))) {
                        throw new SafetensorsFormatException(index, "shard " + e.getKey() + " holds tensor '" + name
                                + "', which weight_map " + (weightMap.containsKey(name) ? "puts in " + weightMap.get(name) : "does not list"));
                    }
                }
            }
            return new SafetensorsCheckpoint(directory, List.copyOf(opened), Collections.unmodifiableMap(tensors));
        } catch (IOException | RuntimeException ex) {
            opened.forEach(SafetensorsFile::close);
            throw ex;
        }
    }

    /** The shard's path inside {@code directory}, or null for a name no file system accepts (a NUL byte, say). */
    private static Path shardPath(Path directory, String shard) {
        try {
            return directory.resolve(shard).normalize();
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static Map<String, String> readWeightMap(Path index) throws IOException {
        JsonObject root;
        try {
            JsonElement parsed = JsonParser.parseString(TextFiles.readUtf8(index));
            if (!parsed.isJsonObject() || !parsed.getAsJsonObject().has("weight_map")
                    || !parsed.getAsJsonObject().get("weight_map").isJsonObject()) {
                throw new SafetensorsFormatException(index, "expected a JSON object with a 'weight_map' object");
            }
            root = parsed.getAsJsonObject().getAsJsonObject("weight_map");
        } catch (JsonParseException e) {
            throw new SafetensorsFormatException(index, "not valid JSON: " + e.getMessage(), e);
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : root.entrySet()) {
            if (!e.getValue().isJsonPrimitive() || !e.getValue().getAsJsonPrimitive().isString()) {
                throw new SafetensorsFormatException(index, "weight_map entry '" + e.getKey() + "' is not a file name");
            }
            map.put(e.getKey(), e.getValue().getAsString());
        }
        if (map.isEmpty()) {
            throw new SafetensorsFormatException(index, "weight_map is empty");
        }
        return map;
    }

    public Path directory() {
        return directory;
    }

    /** All tensors of all shards by HF name. */
    public Map<String, SafetensorsTensor> tensors() {
        return tensors;
    }

    public Optional<SafetensorsTensor> tensor(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** Total bytes of tensor data, for throughput reports. */
    public long dataBytes() {
        return tensors.values().stream().mapToLong(t -> t.data().byteSize()).sum();
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}

package dev.memdec.converter.safetensors;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.MalformedJsonException;

import java.io.IOException;
import java.io.StringReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A validated, memory-mapped safetensors file. {@link #open} applies every check of the reference parser
 * (safetensors {@code tensor.rs}) before any tensor is handed out:
 * <ul>
 *   <li>the file holds the 8-byte header length, the length is at most {@value #MAX_HEADER_BYTES} and the
 *       header lies inside the file;</li>
 *   <li>the header is UTF-8 JSON: one object of tensor entries plus an optional string map
 *       {@code __metadata__}, without duplicate keys;</li>
 *   <li>each dtype is known and {@code product(shape) * dtype size == end - begin} (overflow-checked);</li>
 *   <li>sorted by offset, the tensors tile the byte buffer from 0 with no hole or overlap and the last one
 *       ends exactly at the end of the file.</li>
 * </ul>
 * The whole file is mapped as one {@link MemorySegment}, so files above 2 GB need no special handling; tensors
 * are zero-copy slices valid until {@link #close}.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** The reference parser's cap on the JSON header. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final String METADATA_KEY = "__metadata__";

    private final Path path;
    private final Arena arena;
    private final Map<String, SafetensorsTensor> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, Map<String, SafetensorsTensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Maps and validates {@code path}; throws {@link SafetensorsFormatException} naming the file and tensor on any violation. */
    public static SafetensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new SafetensorsFormatException(path, "file is " + size + " bytes, too small for the 8-byte header length");
            }
            return parse(path, arena, ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static SafetensorsFile parse(Path path, Arena arena, MemorySegment file) throws SafetensorsFormatException {
        long size = file.byteSize();
        long headerLen = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLen < 0 || headerLen > MAX_HEADER_BYTES) {
            throw new SafetensorsFormatException(path, "header length " + Long.toUnsignedString(headerLen)
                    + " at offset 0 exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        if (headerLen > size - 8) {
            throw new SafetensorsFormatException(path, "header length " + headerLen + " runs past the end of the "
                    + size + "-byte file (truncated?)");
        }
        String json = decodeUtf8(path, file.asSlice(8, headerLen));
        long dataStart = 8 + headerLen;
        MemorySegment buffer = file.asSlice(dataStart);
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        try {
            readHeader(path, json, entries, metadata);
        } catch (MalformedJsonException | IllegalStateException | NumberFormatException e) {
            throw new SafetensorsFormatException(path, "header is not valid safetensors JSON: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new SafetensorsFormatException(path, "header is not valid JSON: " + e.getMessage(), e);
        }
        Map<String, SafetensorsTensor> tensors = validateLayout(path, entries, buffer);
        return new SafetensorsFile(path, arena, tensors, Collections.unmodifiableMap(metadata));
    }

    private static String decodeUtf8(Path path, MemorySegment header) throws SafetensorsFormatException {
        ByteBuffer bytes = header.asByteBuffer();
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(path, "header (bytes 8.." + (8 + header.byteSize()) + ") is not valid UTF-8", e);
        }
    }

    private record Entry(String name, SafetensorsDtype dtype, long[] shape, long begin, long end) {
    }

    private static void readHeader(Path path, String json, List<Entry> entries, Map<String, String> metadata)
            throws IOException {
        JsonReader in = new JsonReader(new StringReader(json));
        in.setStrictness(Strictness.STRICT);
        in.beginObject();
        Set<String> seen = new HashSet<>();
        while (in.hasNext()) {
            String key = in.nextName();
            if (!seen.add(key)) {
                throw new SafetensorsFormatException(path, "duplicate header key '" + key + "'");
            }
            if (key.equals(METADATA_KEY)) {
                in.beginObject();
                while (in.hasNext()) {
                    String k = in.nextName();
                    if (in.peek() != JsonToken.STRING) {
                        throw new SafetensorsFormatException(path, "__metadata__ entry '" + k + "' is " + in.peek() + ", expected a string");
                    }
                    metadata.put(k, in.nextString());
                }
                in.endObject();
            } else {
                entries.add(readEntry(path, key, in));
            }
        }
        in.endObject();
        if (in.peek() != JsonToken.END_DOCUMENT) {
            throw new SafetensorsFormatException(path, "trailing data after the header's JSON object");
        }
    }

    private static Entry readEntry(Path path, String name, JsonReader in) throws IOException {
        SafetensorsDtype dtype = null;
        long[] shape = null;
        long[] offsets = null;
        in.beginObject();
        while (in.hasNext()) {
            String field = in.nextName();
            switch (field) {
                case "dtype" -> {
                    String s = in.nextString();
                    dtype = SafetensorsDtype.parse(s).orElseThrow(() -> new SafetensorsFormatException(path,
                            "tensor '" + name + "': unknown dtype '" + s + "'"));
                }
                case "shape" -> shape = readLongs(path, name, field, in);
                case "data_offsets" -> offsets = readLongs(path, name, field, in);
                default -> throw new SafetensorsFormatException(path, "tensor '" + name + "': unexpected field '" + field + "'");
            }
        }
        in.endObject();
        if (dtype == null || shape == null || offsets == null) {
            throw new SafetensorsFormatException(path, "tensor '" + name + "': needs dtype, shape and data_offsets");
        }
        if (offsets.length != 2) {
            throw new SafetensorsFormatException(path, "tensor '" + name + "': data_offsets has " + offsets.length
                    + " values, expected [begin, end]");
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] readLongs(Path path, String tensor, String field, JsonReader in) throws IOException {
        List<Long> values = new ArrayList<>();
        in.beginArray();
        while (in.hasNext()) {
            long v = in.nextLong();
            if (v < 0) {
                throw new SafetensorsFormatException(path, "tensor '" + tensor + "': " + field + " holds negative value " + v);
            }
            values.add(v);
        }
        in.endArray();
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    private static Map<String, SafetensorsTensor> validateLayout(Path path, List<Entry> entries, MemorySegment buffer)
            throws SafetensorsFormatException {
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        Map<String, SafetensorsTensor> tensors = new LinkedHashMap<>();
        long expected = 0;
        for (Entry e : byOffset) {
            if (e.begin() != expected) {
                throw new SafetensorsFormatException(path, "tensor '" + e.name() + "': data_offsets begin at " + e.begin()
                        + " but the previous tensor ends at " + expected
                        + (e.begin() > expected ? " (a hole in the buffer)" : " (overlapping tensors)"));
            }
            if (e.end() < e.begin()) {
                throw new SafetensorsFormatException(path, "tensor '" + e.name() + "': data_offsets end " + e.end()
                        + " is before begin " + e.begin());
            }
            long bytes;
            try {
                long n = e.dtype().byteSize();
                for (long d : e.shape()) {
                    n = Math.multiplyExact(n, d);
                }
                bytes = n;
            } catch (ArithmeticException overflow) {
                throw new SafetensorsFormatException(path, "tensor '" + e.name() + "': shape "
                        + Arrays.toString(e.shape()) + " overflows a 64-bit byte count");
            }
            if (bytes != e.end() - e.begin()) {
                throw new SafetensorsFormatException(path, "tensor '" + e.name() + "': shape " + Arrays.toString(e.shape())
                        + " of " + e.dtype() + " needs " + bytes + " bytes but data_offsets [" + e.begin() + ", " + e.end()
                        + "] span " + (e.end() - e.begin()));
            }
            if (e.end() > buffer.byteSize()) {
                throw new SafetensorsFormatException(path, "tensor '" + e.name() + "': data_offsets end " + e.end()
                        + " lies past the end of the " + buffer.byteSize() + "-byte data buffer (truncated file?)");
            }
            expected = e.end();
        }
        if (expected != buffer.byteSize()) {
            throw new SafetensorsFormatException(path, "tensors end at buffer offset " + expected + " but the data buffer is "
                    + buffer.byteSize() + " bytes (trailing bytes after the last tensor)");
        }
        for (Entry e : entries) {
            tensors.put(e.name(), new SafetensorsTensor(path, e.name(), e.dtype(), e.shape(),
                    buffer.asSlice(e.begin(), e.end() - e.begin())));
        }
        return Collections.unmodifiableMap(tensors);
    }

    public Path path() {
        return path;
    }

    /** Tensors in header order. */
    public Map<String, SafetensorsTensor> tensors() {
        return tensors;
    }

    public Optional<SafetensorsTensor> tensor(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** The optional {@code __metadata__} string map. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Unmaps the file; tensors handed out become unusable. */
    @Override
    public void close() {
        arena.close();
    }
}

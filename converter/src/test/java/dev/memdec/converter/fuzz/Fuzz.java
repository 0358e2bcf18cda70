package dev.memdec.converter.fuzz;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Runs one format's fuzz cases. A case is a set of files (name to bytes) mutated from a valid set by a seeded
 * {@link Mutator}, written to a scratch directory and handed to the reader under test. Each case must either
 * parse or throw a clean exception whose message names one of its files or the directory; and in either case
 * it must finish within the per-case limit, allocate no more heap than a small multiple of the input's real size
 * (so no reader trusts a claimed size), and leave exactly its input files behind.
 *
 * <p>A failing case prints its seed (rerun it alone with {@code -Dmemdec.fuzz.case=SEED}) and is saved as a
 * regression directory {@code src/test/resources/<format>-regressions/<seed>/}; every run replays those first.
 * {@code -Dmemdec.fuzz.scale=N} multiplies the number of cases, for longer local runs.
 */
public final class Fuzz {

    /** Opens, validates and reads what a command would, from the files in {@code dir}. */
    @FunctionalInterface
    public interface Target {
        void open(Path dir) throws Exception;
    }

    /** Makes one case from the valid files; a {@code null} value removes that file. */
    @FunctionalInterface
    public interface Generator {
        Map<String, byte[]> mutate(Map<String, byte[]> valid, Mutator m);
    }

    public record Stats(String format, int cases, int parsed, int rejected, long slowestMillis) {
        @Override
        public String toString() {
            return format + ": " + cases + " cases, " + parsed + " parsed, " + rejected + " rejected, slowest "
                    + slowestMillis + " ms";
        }
    }

    private static final int HEAP_PER_INPUT_BYTE = 40;

    private final String format;
    private Predicate<Throwable> clean = e -> e instanceof IOException || e instanceof IllegalArgumentException;
    private long limitMillis = 5_000;
    private boolean namesFile = true;
    private long heapSlack = 24L << 20;
    /** What the scratch directory holds now, so a case rewrites only the files it changed. */
    private final Map<String, byte[]> onDisk = new TreeMap<>();

    private Fuzz(String format) {
        this.format = format;
    }

    /** {@code format} names the regression directory and the report line. */
    public static Fuzz of(String format) {
        return new Fuzz(format);
    }

    /** Which throwables count as a clean rejection (default: IOException and IllegalArgumentException). */
    public Fuzz clean(Predicate<Throwable> clean) {
        this.clean = clean;
        return this;
    }

    /** For inputs that are not files (request bodies): the clean predicate alone judges the message. */
    public Fuzz messagesNeedNotNameAFile() {
        this.namesFile = false;
        return this;
    }

    /**
     * The fixed part of the per-case heap allowance (default 24 MiB), for readers whose libraries allocate a
     * constant amount per case (DJL's decoder takes an 80 KiB buffer per array).
     */
    public Fuzz heapSlack(long bytes) {
        this.heapSlack = bytes;
        return this;
    }

    public Fuzz limitMillis(long limitMillis) {
        this.limitMillis = limitMillis;
        return this;
    }

    /** The default generator: 1-3 edits, each of one file (JSON-aware for .json), sometimes deleting or swapping files. */
    public static Generator files() {
        return (valid, m) -> {
            Map<String, byte[]> out = new TreeMap<>(valid);
            List<String> names = new ArrayList<>(valid.keySet());
            int edits = 1 + m.random().nextInt(3);
            for (int e = 0; e < edits; e++) {
                String name = names.get(m.random().nextInt(names.size()));
                int roll = m.random().nextInt(100);
                if (out.get(name) == null) {
                    continue;
                } else if (roll < 3) {
                    m.note("delete " + name);
                    out.put(name, null);
                } else if (roll < 6 && names.size() > 1) {
                    String other = names.get(m.random().nextInt(names.size()));
                    m.note("give " + name + " the bytes of " + other);
                    out.put(name, valid.get(other));
                } else {
                    m.note(name + ":");
                    out.put(name, name.endsWith(".json") && roll < 75 ? m.json(out.get(name))
                            : m.bytes(out.get(name), 512));
                }
            }
            return out;
        };
    }

    private static long caseSeed(long seed, int i) {
        return seed + 0x9E37_79B9_7F4A_7C15L * (i + 1);
    }

    /** Replays the saved regressions, then runs {@code cases} mutants of {@code valid}; fails on the first bad outcome. */
    public Stats run(Path work, Map<String, byte[]> valid, long seed, int cases, Generator generator, Target target)
            throws IOException {
        Path scratch = scratch(work);
        onDisk.clear();
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz-" + format);
            t.setDaemon(true);
            return t;
        });
        try {
            // the valid files must parse: otherwise every case is rejected for the same reason and tests nothing
            if (!outcome(worker, scratch, valid, target, "the valid files", null, false)) {
                fail(format + ": the valid files do not parse");
            }
            Path saved = regressions();
            if (Files.isDirectory(saved)) {
                try (Stream<Path> dirs = Files.list(saved)) {
                    for (Path dir : dirs.sorted().toList()) {
                        outcome(worker, scratch, readDir(dir), target, "regression " + dir, null, true);
                    }
                }
            }
            String only = System.getProperty("memdec.fuzz.case");
            int scale = Integer.getInteger("memdec.fuzz.scale", 1);
            int parsed = 0;
            int rejected = 0;
            long slowest = 0;
            int n = only != null ? 1 : cases * scale;
            for (int i = 0; i < n; i++) {
                long s = only != null ? Long.parseUnsignedLong(only, 16) : caseSeed(seed, i);
                Mutator m = new Mutator(s);
                Map<String, byte[]> files = generator.mutate(valid, m);
                long start = System.nanoTime();
                boolean ok = outcome(worker, scratch, files, target, "case seed " + Long.toHexString(s) + " ["
                        + String.join(", ", m.log()) + "]", Long.toHexString(s), true);
                slowest = Math.max(slowest, (System.nanoTime() - start) / 1_000_000);
                if (ok) {
                    parsed++;
                } else {
                    rejected++;
                }
            }
            Stats stats = new Stats(format, n, parsed, rejected, slowest);
            System.out.println("fuzz " + stats);
            return stats;
        } finally {
            worker.shutdownNow();
            try {
                clear(scratch);
                Files.delete(scratch);
            } catch (IOException | UncheckedIOException e) {
                // best effort: a case that hung may still hold files open
            }
        }
    }

    /**
     * A fresh case directory: on tmpfs ({@code /dev/shm}) where there is one, because writing a case's files
     * there is about 50 times faster than on a disk-backed file system (measured 0.05 vs 3.3 ms per 8 KB file),
     * which is most of a case's cost; otherwise under {@code work}.
     */
    private Path scratch(Path work) throws IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return Files.createTempDirectory(shm, "memdec-fuzz-" + format + "-");
        }
        Path dir = Files.createDirectories(work.resolve("case"));
        clear(dir);
        return dir;
    }

    /** True if the files parsed, false if they were rejected cleanly; fails the test otherwise. */
    private boolean outcome(ExecutorService worker, Path dir, Map<String, byte[]> files, Target target, String what,
                            String seedHex, boolean checkHeap) throws IOException {
        long inputBytes = 0;
        for (String name : new TreeSet<>(onDisk.keySet())) {
            if (files.get(name) == null) {
                Files.delete(dir.resolve(name));
                onDisk.remove(name);
            }
        }
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            if (f.getValue() != null) {
                if (!java.util.Arrays.equals(onDisk.get(f.getKey()), f.getValue())) {
                    Files.createDirectories(dir.resolve(f.getKey()).getParent());
                    Files.write(dir.resolve(f.getKey()), f.getValue());
                    onDisk.put(f.getKey(), f.getValue());
                }
                inputBytes += f.getValue().length;
            }
        }
        Set<String> before = new TreeSet<>();
        for (String name : onDisk.keySet()) {
            for (Path p = Path.of(name); p != null; p = p.getParent()) {
                before.add(p.toString());
            }
        }
        Future<long[]> run = worker.submit(() -> {
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long allocated = mx.getCurrentThreadAllocatedBytes();
            target.open(dir);
            return new long[] {mx.getCurrentThreadAllocatedBytes() - allocated};
        });
        boolean parsed;
        long allocated = -1;
        try {
            allocated = run.get(limitMillis, TimeUnit.MILLISECONDS)[0];
            parsed = true;
        } catch (TimeoutException e) {
            run.cancel(true);
            throw failure(files, seedHex, what + " ran longer than " + limitMillis + " ms (a hang?)", null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            String message = String.valueOf(t.getMessage());
            boolean named = !namesFile || message.contains(dir.toString()) || files.keySet().stream().anyMatch(message::contains);
            if (!clean.test(t) || !named) {
                throw failure(files, seedHex, what + " threw " + t + (named ? "" : " (message names no file)"), t);
            }
            parsed = false;
        }
        long allowance = heapSlack + HEAP_PER_INPUT_BYTE * inputBytes;
        if (checkHeap && allocated > allowance) {
            throw failure(files, seedHex, what + " allocated " + allocated + " bytes for " + inputBytes
                    + " bytes of input (a claimed size trusted before it was checked?)", null);
        }
        Set<String> after = listing(dir);
        if (!after.equals(before)) {
            clear(dir);
            onDisk.clear();
            throw failure(files, seedHex, what + " left " + after + " behind, expected " + before, null);
        }
        return parsed;
    }

    private AssertionError failure(Map<String, byte[]> files, String seedHex, String message, Throwable cause) {
        String saved = "";
        if (seedHex != null) {
            try {
                Path dir = Files.createDirectories(regressions().resolve(seedHex));
                for (Map.Entry<String, byte[]> f : files.entrySet()) {
                    if (f.getValue() != null) {
                        Files.createDirectories(dir.resolve(f.getKey()).getParent());
                        Files.write(dir.resolve(f.getKey()), f.getValue());
                    }
                }
                saved = "; saved as regression " + dir + " (commit it), rerun alone with -Dmemdec.fuzz.case=" + seedHex;
            } catch (IOException e) {
                saved = "; could not save the regression: " + e;
            }
        }
        StringBuilder heads = new StringBuilder();
        files.forEach((name, bytes) -> heads.append("\n  ").append(name).append(bytes == null ? " (deleted)"
                : " " + bytes.length + " bytes, starts " + HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 48))));
        return new AssertionError(format + ": " + message + saved + heads, cause);
    }

    private Path regressions() {
        return Path.of("src", "test", "resources", format + "-regressions");
    }

    private static Map<String, byte[]> readDir(Path dir) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                files.put(dir.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return files;
    }

    /** Every file of {@code dir}, by name, as a valid set to mutate. */
    public static Map<String, byte[]> read(Path dir) throws IOException {
        return new TreeMap<>(readDir(dir));
    }

    private static Set<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString())
                    .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }

    private static void clear(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(dir)).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}

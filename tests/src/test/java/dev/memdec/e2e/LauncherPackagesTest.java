package dev.memdec.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's system-package check ({@code scripts/packages.sh}, sourced by {@code ./memdec}) with fake
 * {@code dpkg}, {@code id}, {@code sudo}, {@code apt-get} and {@code mvn} first on PATH: each logs its call, dpkg
 * knows only the packages in {@code installed}, and the fakes' answers come from environment variables.
 */
class LauncherPackagesTest {

    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    @TempDir
    Path tmp;
    Path bin;
    Path log;

    record Run(int code, String out, String err, List<String> calls) {
    }

    @BeforeEach
    void fakes() throws IOException {
        bin = Files.createDirectories(tmp.resolve("bin"));
        log = tmp.resolve("calls.log");
        Files.writeString(log, "");
        String logLine = "echo \"$(basename \"$0\") $*\" >> " + log + "\n";
        fake("dpkg", logLine + "for p in \"${@:2}\"; do grep -qx \"$p\" " + tmp.resolve("installed") + " || exit 1; done\n");
        fake("id", "echo \"$FAKE_UID\"\n");
        fake("sudo", logLine + "[ \"$FAKE_SUDO\" = yes ] || exit 1\n[ \"$2\" = true ] && exit 0\nshift\nexec \"$@\"\n");
        fake("apt-get", logLine + "exit \"${FAKE_APT_RC:-0}\"\n");
        fake("mvn", logLine);
        fake("node", "");
        fake("npm", "");
    }

    private void fake(String name, String body) throws IOException {
        Path f = bin.resolve(name);
        Files.writeString(f, "#!/bin/bash\n" + body);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Run run(List<String> installed, Map<String, String> env, String... command) throws Exception {
        Files.write(tmp.resolve("installed"), installed);
        ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile());
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().putAll(env);
        Path out = tmp.resolve("out");
        Path err = tmp.resolve("err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out");
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err),
                Files.readAllLines(log, StandardCharsets.UTF_8));
    }

    private Run ensure(List<String> installed, Map<String, String> env) throws Exception {
        return run(installed, env, "bash", "-c", "set -euo pipefail; . scripts/packages.sh; "
                + "memdec_ensure_packages libfaiss-dev bible-kjv libgomp1 npm; echo after");
    }

    @Test
    void allPresentDoesNothingWithOneDpkgCall() throws Exception {
        Run r = ensure(List.of("libfaiss-dev", "bible-kjv", "libgomp1"), Map.of("FAKE_UID", "1000"));
        assertEquals(0, r.code(), r.err());
        assertEquals("after\n", r.out());
        assertEquals("", r.err());
        assertEquals(List.of("dpkg -s libfaiss-dev bible-kjv libgomp1"), r.calls(), "npm is on PATH: not asked");
    }

    @Test
    void missingAsRootInstallsOnlyTheMissingOnes() throws Exception {
        Run r = ensure(List.of("libgomp1"), Map.of("FAKE_UID", "0"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.calls().contains("apt-get update -qq"), r.calls().toString());
        assertTrue(r.calls().contains("apt-get install -y -qq --no-install-recommends libfaiss-dev bible-kjv"),
                r.calls().toString());
        assertTrue(r.err().contains("installing missing system package(s) libfaiss-dev bible-kjv"), r.err());
        assertEquals("after\n", r.out());
    }

    @Test
    void missingWithPasswordlessSudoInstallsThroughSudo() throws Exception {
        Run r = ensure(List.of("libgomp1", "libfaiss-dev"), Map.of("FAKE_UID", "1000", "FAKE_SUDO", "yes"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.calls().contains("sudo -n apt-get update -qq"), r.calls().toString());
        assertTrue(r.calls().contains("apt-get install -y -qq --no-install-recommends bible-kjv"), r.calls().toString());
    }

    @Test
    void missingWithoutRootOrSudoIsOneLineAndExit1() throws Exception {
        Run r = ensure(List.of("libgomp1"), Map.of("FAKE_UID", "1000", "FAKE_SUDO", "no"));
        assertEquals(1, r.code());
        assertEquals("", r.out(), "stops before anything after the check");
        assertEquals("memdec: missing system package(s) libfaiss-dev bible-kjv; install them with: "
                + "sudo apt-get install -y --no-install-recommends libfaiss-dev bible-kjv\n", r.err());
        assertFalse(r.calls().stream().anyMatch(c -> c.startsWith("apt-get")), r.calls().toString());
    }

    @Test
    void failedInstallIsOneLineAndExit1() throws Exception {
        Run r = ensure(List.of(), Map.of("FAKE_UID", "0", "FAKE_APT_RC", "100"));
        assertEquals(1, r.code());
        assertEquals("", r.out());
        String last = r.err().lines().reduce((a, b) -> b).orElse("");
        assertEquals("memdec: could not install system package(s) libfaiss-dev bible-kjv libgomp1 (no network or no "
                + "package source?); install them with: sudo apt-get install -y --no-install-recommends libfaiss-dev "
                + "bible-kjv libgomp1", last);
    }

    /** The launcher itself: each command checks its own packages, and a missing one stops it before Maven runs. */
    @Test
    void launcherStopsBeforeAnyBuild() throws Exception {
        Map<String, String> noRoot = Map.of("FAKE_UID", "1000", "FAKE_SUDO", "no");
        List<String> buildOnly = List.of("libgomp1", "libfaiss-dev", "libopenblas-dev");
        Run demo = run(buildOnly, noRoot, "./memdec", "demo", "--quick");
        assertEquals(1, demo.code());
        assertTrue(demo.err().contains("missing system package(s) bible-kjv;"), demo.err());
        Run test = run(buildOnly, noRoot, "./memdec", "test");
        assertEquals(1, test.code());
        assertTrue(test.err().contains("missing system package(s) bible-kjv chromium python3-torch python3-numpy "
                + "mesa-vulkan-drivers libvulkan1;"),
                test.err());
        Run inspect = run(List.of("libgomp1"), noRoot, "./memdec", "inspect", "x.gguf");
        assertEquals(1, inspect.code());
        assertTrue(inspect.err().contains("missing system package(s) libfaiss-dev libopenblas-dev;"), inspect.err());
        assertFalse(inspect.calls().stream().anyMatch(c -> c.startsWith("mvn")), inspect.calls().toString());
        assertFalse(test.calls().stream().anyMatch(c -> c.startsWith("mvn")), test.calls().toString());

        List<String> all = List.of("libgomp1", "libfaiss-dev", "libopenblas-dev", "bible-kjv", "chromium",
                "python3-torch", "python3-numpy", "mesa-vulkan-drivers", "libvulkan1");
        Run ok = run(all, noRoot, "./memdec", "test", "-DskipTests");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.calls().stream().anyMatch(c -> c.startsWith("mvn ") && c.endsWith("verify -DskipTests")),
                ok.calls().toString());
    }
}

package dev.memdec.plugin.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The launcher and the test JVMs run b4916's libgomp with the same spin count (README "MLP memories"): the value
 * {@code ./memdec} exports is the one surefire passes (root pom), so tests time what users run.
 */
class LauncherSpinCountTest {

    @Test
    void testJvmGetsTheLaunchersSpinCount() throws Exception {
        String launcher = Files.readString(Path.of(System.getProperty("memdec.home"), "memdec"));
        Matcher m = Pattern.compile("export GOMP_SPINCOUNT=(\\d+)").matcher(launcher);
        assertTrue(m.find(), "the launcher exports GOMP_SPINCOUNT");
        assertEquals(m.group(1), System.getenv("GOMP_SPINCOUNT"), "surefire's GOMP_SPINCOUNT (root pom)");
    }
}

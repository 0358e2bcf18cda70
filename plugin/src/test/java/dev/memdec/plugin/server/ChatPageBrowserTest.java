package dev.memdec.plugin.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.plugin.mix.MixMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The chat page in headless Chromium (Debian's, installed by scripts/setup.sh) driven by Playwright: both
 * columns fill, the λ slider changes the next memory answer (fake engine, exact texts), the mix selector sends
 * prob or logit to the engine, the sampling fields
 * (temperature, top-k, top-p, min-p, seed) reach the engine for both columns, and the page works over
 * the real runtime. Saves target/chat-page.png and target/chat-page-runtime.png.
 */
class ChatPageBrowserTest {

    @Test
    void bothColumnsFillAndTheSliderSetsLambda() throws Exception {
        assertTrue(Files.isExecutable(NodeScripts.CHROMIUM),
                NodeScripts.CHROMIUM + " is missing: run scripts/setup.sh (installs Debian's chromium)");
        Path screenshot = Path.of("target", "chat-page.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);
        FakeEngine engine = TestServer.fakeEngine();
        try (TestServer server = TestServer.fake(engine)) {
            NodeScripts.Result r = NodeScripts.node("chat-page.cjs",
                    Map.of("MEMDEC_BASE_URL", server.server.baseUri().toString()), 180, screenshot.toString());
            assertEquals(0, r.exitCode(), r.output());
            String[] lines = r.output().strip().split("\n");
            JsonObject seen = JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
            assertEquals("0.4", seen.get("initialLambda").getAsString(), "the slider starts at the server's λ");
            assertEquals("host only answer.", seen.getAsJsonObject("first").get("host").getAsString());
            assertEquals("memory law at lambda 0.4.", seen.getAsJsonObject("first").get("memory").getAsString());
            assertEquals("0.80", seen.get("lambdaLabel").getAsString());
            assertEquals("memory law at lambda 0.8.", seen.getAsJsonObject("second").get("memory").getAsString());
            assertEquals("law, λ = 0.80, logit mix", seen.get("memoryLabel").getAsString());
            assertEquals("prob", seen.get("initialMix").getAsString(), "the selector starts at the server's --mix");
            // The mode reaches the engine: the memory column's first message at the server's default, its second
            // after choosing logit; the host column is host only both times.
            List<MemorySelection> selections = List.copyOf(engine.selections);
            assertEquals(4, selections.size(), selections.toString());
            List<MemorySelection> memoryColumn = selections.stream().filter(MemorySelection::enabled).toList();
            assertEquals(List.of(MemorySelection.of("law", 0.4, 1.0, MixMode.PROB),
                    MemorySelection.of("law", 0.8, 1.0, MixMode.LOGIT)), memoryColumn, selections.toString());
            assertEquals(0, seen.getAsJsonArray("errors").size(), r.output());
            // First message: the page's defaults (llama.cpp's), one random seed shared by both columns; second: the
            // values typed into the sampling fields, in both columns.
            List<SamplingParams> sent = List.copyOf(engine.samplings);
            assertEquals(4, sent.size(), sent.toString());
            SamplingParams first = sent.get(0);
            assertEquals(new SamplingParams(0.8, 40, 0.95, 0.05, first.seed(), -1), first);
            assertEquals(first, sent.get(1), "both columns sample alike");
            SamplingParams typed = new SamplingParams(0.7, 12, 0.9, 0.1, 4242, -1);
            assertEquals(List.of(typed, typed), sent.subList(2, 4));
            assertTrue(seen.getAsJsonObject("second").get("stats").getAsString().contains("seed 4242"), seen.toString());
            assertTrue(Files.size(screenshot) > 10_000, "a screenshot was saved");
        }
    }

    @Test
    void bothColumnsFillWithTheRealRuntime() throws Exception {
        assertTrue(Files.isExecutable(NodeScripts.CHROMIUM),
                NodeScripts.CHROMIUM + " is missing: run scripts/setup.sh (installs Debian's chromium)");
        Path screenshot = Path.of("target", "chat-page-runtime.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);
        TestServer server = ServerTestModels.sharedServer();
        NodeScripts.Result r = NodeScripts.node("chat-page.cjs",
                Map.of("MEMDEC_BASE_URL", server.server.baseUri().toString()), 180, screenshot.toString());
        assertEquals(0, r.exitCode(), r.output());
        String[] lines = r.output().strip().split("\n");
        JsonObject seen = JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
        for (String turn : new String[] {"first", "second"}) {
            for (String column : new String[] {"host", "memory"}) {
                assertFalse(seen.getAsJsonObject(turn).get(column).getAsString().isEmpty(), turn + " " + column + ": " + seen);
            }
        }
        assertEquals("0.80", seen.get("lambdaLabel").getAsString());
        assertEquals(0, seen.getAsJsonArray("errors").size(), r.output());
        assertTrue(Files.size(screenshot) > 10_000, "a screenshot was saved");
    }
}

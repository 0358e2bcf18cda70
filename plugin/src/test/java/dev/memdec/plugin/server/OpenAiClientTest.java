package dev.memdec.plugin.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI npm client against the server on loopback: over the fake engine (exact texts are known) and
 * over the real runtime (the script checks that greedy streaming and non-streaming answers agree).
 */
class OpenAiClientTest {

    @Test
    void theOfficialClientTalksToTheServer() throws Exception {
        FakeEngine engine = TestServer.fakeEngine();
        try (TestServer server = TestServer.fake(engine)) {
            NodeScripts.Result r = NodeScripts.node("openai-client.cjs",
                    Map.of("MEMDEC_BASE_URL", server.server.baseUri().toString()), 180);
            assertEquals(0, r.exitCode(), r.output());
            String[] lines = r.output().strip().split("\n");
            JsonObject seen = JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
            assertEquals("fake-host", seen.get("model").getAsString());
            assertEquals("memory law a", seen.get("chat").getAsString(), "12 tokens of the default memory's answer");
            assertEquals("host only ", seen.get("completion").getAsString());
            assertTrue(seen.get("completionMemory").isJsonNull());
            assertEquals(0.9, seen.getAsJsonObject("memoryUsed").get("lambda").getAsDouble());
            assertEquals("invalid_value", seen.get("errorCode").getAsString());
            assertEquals(0, server.health().get("slots_processing").getAsInt());
        }
    }

    @Test
    void theOfficialClientTalksToTheRealRuntime() throws Exception {
        TestServer server = ServerTestModels.sharedServer();
        NodeScripts.Result r = NodeScripts.node("openai-client.cjs",
                Map.of("MEMDEC_BASE_URL", server.server.baseUri().toString()), 180);
        assertEquals(0, r.exitCode(), r.output());
        String[] lines = r.output().strip().split("\n");
        JsonObject seen = JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
        assertEquals("host", seen.get("model").getAsString());
        assertTrue(seen.get("completionMemory").isJsonNull());
        assertEquals("law", seen.getAsJsonObject("memoryUsed").get("name").getAsString());
        assertEquals(0.9, seen.getAsJsonObject("memoryUsed").get("lambda").getAsDouble());
        assertEquals("invalid_value", seen.get("errorCode").getAsString());
    }
}

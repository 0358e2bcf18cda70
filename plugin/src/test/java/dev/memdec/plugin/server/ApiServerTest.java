package dev.memdec.plugin.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.plugin.mix.MixMode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ApiServerTest {
    private FakeEngine engine;
    private TestServer server;

    @BeforeEach
    void start() throws Exception {
        engine = TestServer.fakeEngine();
        server = TestServer.fake(engine);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void modelsListsTheHostAndItsMemories() throws Exception {
        JsonObject models = TestServer.json(server.get("/v1/models"));
        JsonObject model = models.getAsJsonArray("data").get(0).getAsJsonObject();
        assertEquals("fake-host", model.get("id").getAsString());
        assertEquals("[\"law\",\"med\"]", model.getAsJsonObject("meta").get("memories").toString());
        assertEquals(512, model.getAsJsonObject("meta").get("n_ctx").getAsInt());
    }

    @Test
    void completionUsesTheDefaultMemoryAndCountsUsage() throws Exception {
        HttpResponse<String> r = server.post("/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":100}");
        assertEquals(200, r.statusCode(), r.body());
        JsonObject body = TestServer.json(r);
        JsonObject choice = body.getAsJsonArray("choices").get(0).getAsJsonObject();
        assertEquals("memory law at lambda 0.4.", choice.get("text").getAsString());
        assertEquals("stop", choice.get("finish_reason").getAsString());
        JsonObject usage = body.getAsJsonObject("usage");
        assertEquals(2, usage.get("prompt_tokens").getAsInt());
        assertEquals("memory law at lambda 0.4.".length() + 1, usage.get("completion_tokens").getAsInt());
        assertEquals("text_completion", body.get("object").getAsString());
        JsonObject timings = body.getAsJsonObject("timings");
        assertEquals(usage.get("completion_tokens").getAsInt(), timings.get("predicted_n").getAsInt());
        assertEquals(2, timings.get("prompt_n").getAsInt(), "nothing was cached before this first request");
        assertTrue(timings.get("predicted_ms").getAsDouble() > 0);
    }

    @Test
    void memoryCanBeDisabledOrChosenPerRequest() throws Exception {
        JsonObject off = TestServer.json(server.post("/v1/completions",
                "{\"prompt\":\"Hi\",\"max_tokens\":100,\"memory\":{\"enabled\":false}}"));
        assertEquals("host only answer.", text(off));
        assertTrue(off.get("memory").isJsonNull());
        JsonObject med = TestServer.json(server.post("/v1/completions",
                "{\"prompt\":\"Hi\",\"max_tokens\":100,\"memory\":{\"name\":\"med\",\"lambda\":0.75}}"));
        assertEquals("memory med at lambda 0.75.", text(med));
        assertEquals(0.75, med.getAsJsonObject("memory").get("lambda").getAsDouble());
        assertEquals("prob", med.getAsJsonObject("memory").get("mix").getAsString(), "the server's default mix");
        JsonObject logit = TestServer.json(server.post("/v1/completions",
                "{\"prompt\":\"Hi\",\"max_tokens\":100,\"memory\":{\"lambda\":0.5,\"mix\":\"logit\"}}"));
        assertEquals("logit", logit.getAsJsonObject("memory").get("mix").getAsString());
        assertEquals(List.of(MixMode.PROB, MixMode.PROB, MixMode.LOGIT),
                engine.selections.stream().map(MemorySelection::mix).toList(), "the mode reaches the engine");
    }

    @Test
    void maxTokensAndStopStringsEndTheAnswer() throws Exception {
        JsonObject cut = TestServer.json(server.post("/v1/completions",
                "{\"prompt\":\"Hi\",\"max_tokens\":6,\"memory\":{\"enabled\":false}}"));
        assertEquals("host o", text(cut));
        assertEquals("length", cut.getAsJsonArray("choices").get(0).getAsJsonObject().get("finish_reason").getAsString());
        JsonObject stopped = TestServer.json(server.post("/v1/completions",
                "{\"prompt\":\"Hi\",\"max_tokens\":100,\"stop\":[\"zzz\",\"ly an\"],\"memory\":{\"enabled\":false}}"));
        assertEquals("host on", text(stopped));
        assertEquals("stop", stopped.getAsJsonArray("choices").get(0).getAsJsonObject().get("finish_reason").getAsString());
    }

    @Test
    void chatRendersChatMlAndStreamsServerSentEvents() throws Exception {
        List<JsonObject> events = sse("/v1/chat/completions", """
                {"messages":[{"role":"user","content":"Hello"}],"stream":true,
                 "stream_options":{"include_usage":true},"memory":{"enabled":false}}""");
        assertEquals("assistant", events.getFirst().getAsJsonArray("choices").get(0).getAsJsonObject()
                .getAsJsonObject("delta").get("role").getAsString());
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (JsonObject e : events) {
            assertEquals("chat.completion.chunk", e.get("object").getAsString());
            JsonArray choices = e.getAsJsonArray("choices");
            if (!choices.isEmpty()) {
                JsonObject c = choices.get(0).getAsJsonObject();
                JsonElement content = c.getAsJsonObject("delta").get("content");
                if (content != null) {
                    text.append(content.getAsString());
                }
                if (!c.get("finish_reason").isJsonNull()) {
                    finish = c.get("finish_reason").getAsString();
                }
            }
        }
        assertEquals("host only answer.", text.toString());
        assertEquals("stop", finish);
        JsonObject last = events.get(events.size() - 2);
        assertEquals("host only answer.".length() + 1, last.getAsJsonObject("timings").get("predicted_n").getAsInt());
        JsonObject usage = events.getLast().getAsJsonObject("usage");
        int promptTokens = "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n".length();
        assertEquals(promptTokens, usage.get("prompt_tokens").getAsInt());
    }

    @Test
    void secondTurnReusesTheSlotsCachedPrefix() throws Exception {
        String first = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"memory\":{\"enabled\":false}}";
        JsonObject one = TestServer.json(server.post("/v1/chat/completions", first));
        String answer = one.getAsJsonArray("choices").get(0).getAsJsonObject().getAsJsonObject("message")
                .get("content").getAsString();
        String second = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"},{\"role\":\"assistant\",\"content\":\""
                + answer + "\"},{\"role\":\"user\",\"content\":\"More\"}],\"memory\":{\"enabled\":false}}";
        JsonObject two = TestServer.json(server.post("/v1/chat/completions", second));
        int cached = two.getAsJsonObject("usage").getAsJsonObject("prompt_tokens_details").get("cached_tokens").getAsInt();
        String firstPrompt = "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n" + answer;
        assertEquals(firstPrompt.length(), cached, "the whole first turn, answer included, is reused");
    }

    @Test
    void logprobsHaveOpenAisShapes() throws Exception {
        JsonObject chat = TestServer.json(server.post("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":3,\"logprobs\":true,\"top_logprobs\":2}"));
        JsonArray content = chat.getAsJsonArray("choices").get(0).getAsJsonObject().getAsJsonObject("logprobs")
                .getAsJsonArray("content");
        assertEquals(3, content.size());
        JsonObject first = content.get(0).getAsJsonObject();
        assertEquals("m", first.get("token").getAsString());
        assertEquals(Math.log(0.5), first.get("logprob").getAsDouble(), 1e-9);
        assertEquals(2, first.getAsJsonArray("top_logprobs").size());
        assertEquals("[109]", first.get("bytes").toString());
        JsonObject legacy = TestServer.json(server.post("/v1/completions",
                "{\"prompt\":\"x\",\"max_tokens\":2,\"logprobs\":1}"));
        JsonObject lp = legacy.getAsJsonArray("choices").get(0).getAsJsonObject().getAsJsonObject("logprobs");
        assertEquals("[\"m\",\"e\"]", lp.get("tokens").toString());
        assertEquals(2, lp.getAsJsonArray("top_logprobs").size());
    }

    @Test
    void badRequestsGetFourHundredsWithOpenAiErrorBodies() throws Exception {
        assertError(server.post("/v1/completions", "{\"prompt\": \"x\""), 400, "invalid_json", null);
        assertError(server.post("/v1/completions", "[1,2]"), 400, "invalid_json", null);
        assertError(server.post("/v1/completions", "{prompt: 'x'}"), 400, "invalid_json", null);
        assertError(server.post("/v1/completions", "{\"max_tokens\":3}"), 400, "missing_required_parameter", "prompt");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"temperature\":-0.1}"), 400, "invalid_value", "temperature");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"temperature\":\"hot\"}"), 400, "invalid_value", "temperature");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":0}"), 400, "invalid_value", "max_tokens");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":2.5}"), 400, "invalid_value", "max_tokens");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"top_p\":0}"), 400, "invalid_value", "top_p");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"top_k\":-1}"), 400, "invalid_value", "top_k");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"top_k\":2.5}"), 400, "invalid_value", "top_k");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"min_p\":1}"), 400, "invalid_value", "min_p");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"min_p\":-0.1}"), 400, "invalid_value", "min_p");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"n\":2}"), 400, "invalid_value", "n");
        assertError(server.post("/v1/completions", "{\"prompt\":[1,99999]}"), 400, "invalid_value", "prompt[1]");
        assertError(server.post("/v1/completions", "{\"prompt\":\"\"}"), 400, "invalid_value", "prompt");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"memory\":{\"lambda\":1.5}}"), 400, "invalid_value", "memory.lambda");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"memory\":{\"lambda\":-0.01}}"), 400, "invalid_value", "memory.lambda");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"memory\":{\"lamda\":0.5}}"), 400, "unknown_parameter", "memory.lamda");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"memory\":{\"mix\":\"sum\"}}"), 400, "invalid_value", "memory.mix");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"memory\":{\"mix\":1}}"), 400, "invalid_value", "memory.mix");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"memory\":{\"name\":\"nope\"}}"), 404, "memory_not_found", "memory.name");
        assertError(server.post("/v1/completions", "{\"prompt\":\"" + "x".repeat(600) + "\"}"), 400, "context_length_exceeded", "prompt");
        assertError(server.post("/v1/chat/completions", "{\"messages\":[]}"), 400, "invalid_value", "messages");
        assertError(server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}"), 400, "invalid_value", "messages[0].role");
        assertError(server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_logprobs\":2}"), 400, "invalid_value", "top_logprobs");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"stop\":[\"\"]}"), 400, "invalid_value", "stop");
        assertError(server.post("/v1/nothing", "{}"), 404, "not_found", null);
        assertError(server.get("/v1/completions"), 405, "method_not_allowed", null);
        assertError(server.post("/v1/completions", "{\"prompt\":\"" + "x".repeat(1 << 20) + "\"}"), 413, "request_too_large", null);
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertError(server.post("/v1/completions", deep), 400, "invalid_json", null);
        // Unknown top-level fields are ignored, as OpenAI clients expect.
        assertEquals(200, server.post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1,\"user\":\"u\",\"frobnicate\":1}").statusCode());
        JsonObject health = server.health();
        assertEquals("ok", health.get("status").getAsString());
        assertEquals(2, health.get("slots_idle").getAsInt());
    }

    @Test
    void randomBodiesNeverBreakTheServer() throws Exception {
        java.util.SplittableRandom random = new java.util.SplittableRandom(42);
        String[] pieces = {"{", "}", "[", "]", "\"prompt\"", "\"messages\"", ":", ",", "\"x\"", "1e309", "-1", "null",
            "true", "\"memory\"", "{\"lambda\":", "\"max_tokens\"", "\"stop\"", "\"\\ud800\"", "0.5", "\u0000"};
        for (int i = 0; i < 200; i++) {
            StringBuilder body = new StringBuilder();
            for (int n = random.nextInt(12); n > 0; n--) {
                body.append(pieces[random.nextInt(pieces.length)]);
            }
            String path = random.nextBoolean() ? "/v1/completions" : "/v1/chat/completions";
            HttpResponse<String> r = server.post(path, body.toString());
            assertTrue(r.statusCode() == 200 || (r.statusCode() >= 400 && r.statusCode() < 500),
                    body + " -> " + r.statusCode() + " " + r.body());
            if (r.statusCode() != 200) {
                assertNotNull(TestServer.json(r).getAsJsonObject("error"), r.body());
            }
        }
        assertEquals("ok", server.health().get("status").getAsString());
        assertEquals(0, server.health().get("requests_failed").getAsInt());
    }

    @Test
    void aClientThatDisconnectsMidStreamFreesItsSlot() throws Exception {
        engine.stepMillis(20);
        engine.answer((prompt, memory) -> "y".repeat(400));
        HttpResponse<InputStream> r = server.client.send(HttpRequest.newBuilder(server.uri("/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"x\",\"max_tokens\":400,\"stream\":true}")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            byte[] first = new byte[64];
            assertTrue(in.read(first) > 0);
        }
        // 400 tokens at 20 ms would take 8 s; the disconnect must free the slot long before.
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (engine.openStreams.get() > 0 && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        assertEquals(0, engine.openStreams.get());
        assertEquals(0, server.health().get("slots_processing").getAsInt());
    }

    @Test
    void aFullQueueAnswersFiveOhThree() throws Exception {
        server.close();
        engine.stepMillis(20);
        engine.answer((prompt, memory) -> "y".repeat(400));
        try (TestServer small = new TestServer(engine, 1, 1, Duration.ofSeconds(30))) {
            var body = HttpRequest.BodyPublishers.ofString("{\"prompt\":\"x\",\"max_tokens\":400,\"stream\":true}");
            var busy1 = small.client.send(HttpRequest.newBuilder(small.uri("/v1/completions")).POST(body).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            var busy2 = small.client.send(HttpRequest.newBuilder(small.uri("/v1/completions")).POST(body).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            HttpResponse<String> refused = small.post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":5}");
            assertError(refused, 503, "server_busy", null);
            busy1.body().close();
            busy2.body().close();
        }
        server = TestServer.fake(engine);
    }

    @Test
    void aRequestPastItsDeadlineGetsFiveOhFour() throws Exception {
        server.close();
        engine.stepMillis(50);
        engine.answer((prompt, memory) -> "z".repeat(200));
        try (TestServer slow = new TestServer(engine, 1, 4, Duration.ofSeconds(1))) {
            assertError(slow.post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":200}"), 504, "timeout", null);
            assertEquals(0, engine.openStreams.get());
        }
        server = TestServer.fake(engine);
    }

    @Test
    void theChatPageIsServedAtTheRoot() throws Exception {
        HttpResponse<String> page = server.get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("id=\"lambda\""), "the page has the lambda slider");
    }

    @Test
    void allGenerationRunsOnOnePlatformThread() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertEquals(200, server.post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":4}").statusCode());
        }
        assertFalse(engine.generatingThreads.isEmpty());
        assertEquals(1, engine.generatingThreads.stream().distinct().count());
        assertFalse(engine.generatingThreads.getFirst().isVirtual());
    }

    private static String text(JsonObject completion) {
        return completion.getAsJsonArray("choices").get(0).getAsJsonObject().get("text").getAsString();
    }

    private static void assertError(HttpResponse<String> r, int status, String code, String param) {
        assertEquals(status, r.statusCode(), r.body());
        JsonObject error = TestServer.json(r).getAsJsonObject("error");
        assertNotNull(error, r.body());
        assertEquals(code, error.get("code").getAsString(), r.body());
        assertFalse(error.get("message").getAsString().isBlank());
        assertNotNull(error.get("type").getAsString());
        if (param == null) {
            assertTrue(error.get("param").isJsonNull(), r.body());
        } else {
            assertEquals(param, error.get("param").getAsString(), r.body());
        }
    }

    private List<JsonObject> sse(String path, String body) throws Exception {
        HttpResponse<InputStream> r = server.client.send(HttpRequest.newBuilder(server.uri(path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElseThrow().startsWith("text/event-stream"));
        List<JsonObject> events = new ArrayList<>();
        boolean done = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("data: [DONE]")) {
                    done = true;
                } else if (line.startsWith("data: ")) {
                    assertFalse(done, "nothing after [DONE]");
                    events.add(JsonParser.parseString(line.substring(6)).getAsJsonObject());
                }
            }
        }
        assertTrue(done, "the stream ends with [DONE]");
        return events;
    }
}

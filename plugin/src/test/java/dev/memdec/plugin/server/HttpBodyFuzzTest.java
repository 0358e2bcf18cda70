package dev.memdec.plugin.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.memdec.converter.fuzz.Fuzz;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated request bodies for the two endpoints that take one, through the server's own parsing layer
 * ({@link RequestParser#body} then {@link RequestParser#completion} or {@link RequestParser#chat}) in-process:
 * each must become a job or an {@link ApiException} with a 4xx status and a message. The other endpoints take
 * no body; their methods, paths and headers are abused over real sockets in
 * {@link ServerLoadTest#abuseIsRefusedWhileRealClientsAreAnswered}.
 */
class HttpBodyFuzzTest {

    private static final int CASES = 10_000;
    private static final String BODY = "body.json";

    @TempDir
    Path dir;

    private final FakeEngine engine = TestServer.fakeEngine();
    private final RequestParser parser = new RequestParser(engine,
            ChatTemplate.of(engine.chatTemplate(), engine.bosText(), engine.eosText()), 0.4);

    private static final List<String> COMPLETIONS = List.of(
            "{\"prompt\":\"Once upon a time\",\"max_tokens\":8,\"temperature\":0.7,\"top_p\":0.9,\"seed\":42}",
            "{\"prompt\":[\"x\"],\"stream\":true,\"stream_options\":{\"include_usage\":true},\"stop\":[\"\\n\",\"end\"],"
                    + "\"logprobs\":2,\"memory\":{\"name\":\"law\",\"lambda\":0.3,\"temperature\":1.5}}",
            "{\"prompt\":[1,2,3],\"max_tokens\":1,\"memory\":{\"enabled\":false},\"user\":\"u\",\"n\":1}");
    private static final List<String> CHATS = List.of(
            "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi\"}],"
                    + "\"max_completion_tokens\":4,\"logprobs\":true,\"top_logprobs\":2}",
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"}]},"
                    + "{\"role\":\"assistant\",\"content\":null}],\"stream\":true,\"stop\":\"x\",\"memory\":{\"lambda\":1}}");

    private static Fuzz.Generator bodies(List<String> valid) {
        return (files, m) -> {
            byte[] body = valid.get(m.random().nextInt(valid.size())).getBytes(StandardCharsets.UTF_8);
            int edits = 1 + m.random().nextInt(3);
            for (int i = 0; i < edits; i++) {
                body = m.random().nextInt(4) > 0 ? m.json(body) : m.bytes(body, body.length);
            }
            return Map.of(BODY, body);
        };
    }

    private static boolean fourHundred(Throwable t) {
        return t instanceof ApiException e && e.status() >= 400 && e.status() < 500 && e.getMessage() != null
                && !e.getMessage().isBlank() && e.body().getAsJsonObject("error") != null;
    }

    private Fuzz.Stats fuzz(String format, List<String> valid, long seed, boolean chat) throws IOException {
        return Fuzz.of(format).clean(HttpBodyFuzzTest::fourHundred).messagesNeedNotNameAFile().run(dir.resolve(format),
                Map.of(BODY, valid.getFirst().getBytes(StandardCharsets.UTF_8)), seed, CASES, bodies(valid), d -> {
                    JsonObject body = RequestParser.body(Files.readAllBytes(d.resolve(BODY)));
                    CompletionJob job = chat ? parser.chat(body) : parser.completion(body);
                    assertTrue(job.prompt().length > 0 && job.maxTokens() > 0);
                });
    }

    @Test
    void completionBodiesBecomeJobsOrFourHundreds() throws IOException {
        Fuzz.Stats s = fuzz("http-completions", COMPLETIONS, 20260406L, false);
        assertTrue(s.rejected() > CASES / 3 && s.parsed() > 200, s.toString());
    }

    @Test
    void chatBodiesBecomeJobsOrFourHundreds() throws IOException {
        Fuzz.Stats s = fuzz("http-chat", CHATS, 20260407L, true);
        assertTrue(s.rejected() > CASES / 3 && s.parsed() > 200, s.toString());
    }

    @Test
    void invalidUtf8IsAFourHundredNotAReplacementCharacter() {
        byte[] body = "{\"prompt\":\"caf\u00e9\"}".getBytes(StandardCharsets.UTF_8);
        body[body.length - 3] = (byte) 0xFF;
        ApiException e = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class, () -> RequestParser.body(body));
        assertTrue(e.status() == 400 && e.getMessage().contains("UTF-8") && e.getMessage().contains("offset 14"), e.getMessage());
    }
}

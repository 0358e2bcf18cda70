package dev.memdec.plugin.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.plugin.mix.MixMode;
import dev.memdec.plugin.server.FakeEngine;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TerminalChatTest {

    private static String chat(FakeEngine engine, String input) throws Exception {
        StringWriter text = new StringWriter();
        TerminalChat.Settings settings = new TerminalChat.Settings(Optional.of("law"), 0.3, MixMode.PROB, true, 0.0, 1.0, 7, 64,
                Duration.ofSeconds(30));
        new TerminalChat(engine, settings, new BufferedReader(new StringReader(input)), new PrintWriter(text)).run();
        return text.toString();
    }

    @Test
    void commandsChangeTheMemoryAndLambdaBetweenTurns() throws Exception {
        FakeEngine engine = new FakeEngine(List.of("law"), 4096, Optional.empty());
        String out = chat(engine, """
                hello
                /lambda 0.8
                again
                /memory off
                once more
                /lambda 7
                /memory sideways
                /quit
                never sent
                """);
        assertTrue(out.contains("> memory law at lambda 0.3.\n"), out);
        assertTrue(out.contains("lambda = 0.8"), out);
        assertTrue(out.contains("> memory law at lambda 0.8.\n"), out);
        assertTrue(out.contains("> host only answer.\n"), out);
        assertTrue(out.contains("bad lambda '7'"), out);
        assertTrue(out.contains("usage: /memory on|off"), out);
    }

    @Test
    void laterTurnsReuseTheCachedConversationAndResetStartsANewOne() throws Exception {
        FakeEngine engine = new FakeEngine(List.of("law"), 4096, Optional.empty());
        chat(engine, "one\ntwo\n");
        String firstTurn = "<|im_start|>user\none<|im_end|>\n<|im_start|>assistant\n";
        String secondTurn = firstTurn + "memory law at lambda 0.3.<|im_end|>\n<|im_start|>user\ntwo<|im_end|>\n<|im_start|>assistant\n";
        // The second prompt re-sends the first turn and its answer; only the new part is decoded. The cache
        // holds the answer without the ChatML end marker, so decoding restarts at that marker.
        int reused = firstTurn.length() + "memory law at lambda 0.3.".length();
        assertEquals(firstTurn.length() + secondTurn.length() - reused, engine.decodedPromptTokens.get());

        FakeEngine fresh = new FakeEngine(List.of("law"), 4096, Optional.empty());
        chat(fresh, "one\n/reset\none\n");
        String out = chat(new FakeEngine(List.of("law"), 4096, Optional.empty()), "one\n/reset\n");
        assertTrue(out.contains("conversation cleared"), out);
        assertEquals(firstTurn.length(), fresh.decodedPromptTokens.get(),
                "after /reset the prompt is the first turn alone again, already in the cache");
    }

    @Test
    void theMemoryCannotBeOnWithoutOne() {
        assertThrows(IllegalArgumentException.class, () -> new TerminalChat.Settings(Optional.empty(), 0.3, MixMode.PROB, true,
                0.0, 1.0, 7, 64, Duration.ofSeconds(30)));
    }
}

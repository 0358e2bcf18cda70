package dev.memdec.plugin.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.memdec.plugin.server.ServerTestModels;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code memdec chat} over the real runtime, driven through stdin as a script would. */
class ChatCommandTest {

    @Test
    void outOfRangeFlagsAreRefusedWithTheirNames() {
        String host = ServerTestModels.host().toString();
        for (String[] bad : new String[][] {{"--lambda", "3"}, {"--temperature", "-1"}, {"--top-p", "0"},
                {"--max-tokens", "0"}, {"--timeout", "0"}, {"--mix", "sum"}}) {
            picocli.CommandLine cl = Main.commandLine();
            java.io.StringWriter err = new java.io.StringWriter();
            cl.setErr(new java.io.PrintWriter(err));
            assertEquals(Main.EXIT_FAILURE, cl.execute("chat", "--host", host, bad[0], bad[1]));
            assertTrue(err.toString().contains(bad[0]), err.toString());
        }
    }

    @Test
    void aScriptedConversationStreamsAnswersAndObeysCommands() {
        String script = "Hello\n/lambda 0.2\nAgain\n/memory off\nOnce more\n/memory on\n/mix logit\nLogit now\n/mix max\n"
                + "/reset\n/quit\nnever read\n";
        InputStream stdin = System.in;
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setIn(new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = Main.commandLine().execute("chat", "--host", ServerTestModels.host().toString(),
                    "--memory", ServerTestModels.memories().get("law").toString(), "--temperature", "0",
                    "--max-tokens", "6", "--ctx", "256", "--threads", "1");
        } finally {
            System.setIn(stdin);
            System.setOut(stdout);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains("(memory law on, lambda 0.55, mix prob)"), out);
        assertTrue(out.contains("mix = logit"), out);
        assertTrue(out.contains("usage: /mix prob|logit"), out);
        assertTrue(out.contains("lambda = 0.2"), out);
        assertTrue(out.contains("memory law off"), out);
        assertTrue(out.contains("memory law on, lambda 0.2"), out);
        assertTrue(out.contains("conversation cleared"), out);
    }
}

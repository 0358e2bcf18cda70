package dev.memdec.plugin.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.memdec.plugin.server.ServerTestModels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ServeCommandTest {

    private static String failure(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(Main.EXIT_FAILURE, cl.execute(args), err.toString());
        return err.toString();
    }

    @Test
    void badFlagsAreRefusedBeforeAnyModelLoads() {
        String host = ServerTestModels.host().toString();
        String law = ServerTestModels.memories().get("law").toString();
        assertTrue(failure("serve", "--host", "missing.gguf").contains("--host: no such file"));
        assertTrue(failure("serve", "--host", host, "--lambda", "1.5").contains("--lambda must be in [0, 1]"));
        assertTrue(failure("serve", "--host", host, "--mix", "sum").contains("--mix must be 'prob' or 'logit', got 'sum'"));
        assertTrue(failure("serve", "--host", host, "--parallel", "0").contains("--parallel must be in [1, 64]"));
        assertTrue(failure("serve", "--host", host, "--queue", "-1").contains("--queue must be in [0, 4096]"));
        assertTrue(failure("serve", "--host", host, "--port", "70000").contains("--port must be in [0, 65535]"));
        assertTrue(failure("serve", "--host", host, "--timeout", "0").contains("--timeout must be positive"));
        assertTrue(failure("serve", "--host", host, "--memory", "a=" + law, "--memory", "a=" + law)
                .contains("the name 'a' is used twice"));
        assertTrue(failure("serve", "--host", host, "--memory", "bad name=" + law).contains("the name must be"));
        assertTrue(failure("serve", "--host", host, "--memory", "x=nowhere.gguf").contains("no such file"));
    }

    @Test
    void bareMemoryPathsAreNamedAfterTheirFile() {
        Path law = ServerTestModels.memories().get("law");
        assertEquals(java.util.List.of("law", "legal"), java.util.List.copyOf(ServeCommand.memoryFiles(
                java.util.List.of(law.toString(), "legal=" + law)).keySet()));
    }

    @Test
    void theCommandServesTheModelsItWasGiven() throws Exception {
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs("--host", ServerTestModels.host().toString(),
                "--memory", "law=" + ServerTestModels.memories().get("law"), "--port", "0", "--parallel", "1",
                "--ctx", "128", "--threads", "1", "--mix", "logit");
        try (ServeCommand.Running running = command.start()) {
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> health = client.send(HttpRequest.newBuilder(
                    running.server().baseUri().resolve("/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(1, JsonParser.parseString(health.body()).getAsJsonObject().get("slots_idle").getAsInt());
            HttpResponse<String> completion = client.send(HttpRequest.newBuilder(
                    running.server().baseUri().resolve("/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(
                    "{\"prompt\":\"Hello\",\"max_tokens\":3}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, completion.statusCode(), completion.body());
            JsonObject body = JsonParser.parseString(completion.body()).getAsJsonObject();
            assertEquals("law", body.getAsJsonObject("memory").get("name").getAsString());
            assertEquals(0.55, body.getAsJsonObject("memory").get("lambda").getAsDouble(), "the runtime's default λ");
            assertEquals("logit", body.getAsJsonObject("memory").get("mix").getAsString(), "the server's --mix");
            assertEquals(3, body.getAsJsonObject("usage").get("completion_tokens").getAsInt());
        }
    }

    @Test
    void anMlpMemoryIsServedBesideAMemoryDecoder() throws Exception {
        Path mlp = Path.of(System.getProperty("java.io.tmpdir"), "serve-mlp-" + ProcessHandle.current().pid() + ".gguf");
        try {
            assertEquals(0, CliRun.run("init-mlp", "--host", ServerTestModels.host().toString(), "--blocks", "1",
                    "--width", "32", "--out", mlp.toString()).code());
            ServeCommand command = new ServeCommand();
            new CommandLine(command).parseArgs("--host", ServerTestModels.host().toString(),
                    "--memory", "mlp=" + mlp, "--memory", "law=" + ServerTestModels.memories().get("law"),
                    "--port", "0", "--parallel", "1", "--ctx", "128", "--threads", "1");
            try (ServeCommand.Running running = command.start()) {
                HttpClient client = HttpClient.newHttpClient();
                for (String body : new String[] {"{\"prompt\":\"Hello\",\"max_tokens\":3}",
                        "{\"prompt\":\"Hello\",\"max_tokens\":3,\"memory\":{\"name\":\"law\"}}",
                        "{\"prompt\":\"Hello\",\"max_tokens\":3,\"memory\":{\"name\":\"mlp\",\"mix\":\"logit\"}}"}) {
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(running.server().baseUri()
                            .resolve("/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, r.statusCode(), r.body());
                    JsonObject o = JsonParser.parseString(r.body()).getAsJsonObject();
                    assertEquals(3, o.getAsJsonObject("usage").get("completion_tokens").getAsInt(), r.body());
                }
                assertEquals(java.util.List.of("mlp", "law"), running.engine().memoryNames());
            }
        } finally {
            java.nio.file.Files.deleteIfExists(mlp);
        }
    }
}

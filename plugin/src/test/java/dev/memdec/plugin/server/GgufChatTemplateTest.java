package dev.memdec.plugin.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufTensorInfo;
import dev.memdec.converter.gguf.GgufWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A chat template stored in the GGUF travels through llama.cpp's metadata into Jinjava and shapes the prompt. */
class GgufChatTemplateTest {
    private static final String TEMPLATE = "{% for m in messages %}{{ m['role'] | upper }}: {{ m['content'] }}\n"
            + "{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}";

    @Test
    void theModelsOwnTemplateIsUsed() throws Exception {
        Path withTemplate = ServerTestModels.dir().resolve("host-with-template.gguf");
        try (GgufFile source = GgufFile.open(ServerTestModels.host())) {
            GgufWriter writer = new GgufWriter();
            source.metadata().forEach(writer::putValue);
            writer.putString("tokenizer.chat_template", TEMPLATE);
            for (GgufTensorInfo t : source.tensors()) {
                writer.addEncodedTensor(t.name(), t.type(), t.ne(), source.data(t));
            }
            writer.write(withTemplate);
        }
        try (RuntimeEngine engine = RuntimeEngine.open(withTemplate, Map.of(), ServerTestModels.options(), 1)) {
            assertEquals(TEMPLATE, engine.chatTemplate().orElseThrow());
            ChatTemplate template = ChatTemplate.of(engine.chatTemplate(), engine.bosText(), engine.eosText());
            assertFalse(template.isFallback());
            String prompt = template.render(List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi")));
            assertEquals("SYSTEM: Be brief.\nUSER: Hi\nASSISTANT:", prompt);
        }
    }
}

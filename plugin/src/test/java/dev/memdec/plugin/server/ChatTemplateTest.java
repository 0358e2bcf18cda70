package dev.memdec.plugin.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
    private static final List<ChatMessage> CONVERSATION = List.of(
            new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi"));

    @Test
    void withoutAModelTemplateChatMlIsUsedAndItsMarkersStopGeneration() {
        ChatTemplate t = ChatTemplate.of(Optional.empty(), "<s>", "</s>");
        assertTrue(t.isFallback());
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                t.render(CONVERSATION));
        assertEquals(List.of("<|im_end|>", "<|im_start|>"), t.stopStrings());
    }

    @Test
    void aLlama3StyleTemplateRendersWithHuggingFacesWhitespaceRules() {
        // The shape of Llama 3's tokenizer.chat_template: loop, set, trim filter, bos_token, generation prompt.
        String llama3 = """
                {% set loop_messages = messages %}{% for message in loop_messages %}\
                {% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}\
                {% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}\
                {% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}""";
        ChatTemplate t = ChatTemplate.of(Optional.of(llama3), "<|begin_of_text|>", "<|eot_id|>");
        assertFalse(t.isFallback());
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
                t.render(CONVERSATION));
        assertTrue(t.stopStrings().isEmpty());
    }

    @Test
    void raiseExceptionInATemplateRejectsTheConversation() {
        String strict = """
                {% for message in messages %}{% if message['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}\
                {{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}""";
        ChatTemplate t = ChatTemplate.of(Optional.of(strict), "", "");
        // The probe conversation has a system turn, so this template is replaced by ChatML at load time...
        assertTrue(t.isFallback());
        // ...while a template that only refuses some conversations is kept and refuses them per request.
        String alternating = """
                {% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 1) and message['role'] != 'system' %}\
                {{ raise_exception('Conversation roles must alternate') }}{% endif %}{{ message['content'] }}{% endfor %}""";
        ChatTemplate kept = ChatTemplate.of(Optional.of(alternating), "", "");
        assertFalse(kept.isFallback());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> kept.render(
                List.of(new ChatMessage("system", "s"), new ChatMessage("user", "a"), new ChatMessage("user", "b"))));
        assertTrue(e.getMessage().contains("alternate"), e.getMessage());
    }

    @Test
    void aTemplateThatDoesNotParseFallsBackToChatMl() {
        assertTrue(ChatTemplate.of(Optional.of("{% for m in messages %}{{ m.content }"), "", "").isFallback());
    }
}

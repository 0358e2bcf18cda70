package dev.memdec.plugin.server;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Renders a conversation into the prompt text a model was trained on. Uses the GGUF's
 * {@code tokenizer.chat_template} (Jinja, rendered by Jinjava with Hugging Face's settings: trim_blocks and
 * lstrip_blocks) and falls back to ChatML when the file has none or its template does not render here.
 */
public final class ChatTemplate {
    private static final System.Logger LOG = System.getLogger(ChatTemplate.class.getName());
    /** ChatML, the format most chat models without their own template understand. */
    static final String CHATML = """
            {% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}\
            {% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}""";
    /** ChatML's turn markers; plain text for most vocabularies, so they must also stop generation. */
    static final List<String> CHATML_STOPS = List.of("<|im_end|>", "<|im_start|>");
    /** Rendered prompts larger than this are refused (a template loop must not exhaust memory). */
    private static final long MAX_OUTPUT_CHARS = 4L << 20;

    private final String source;
    private final boolean fallback;
    private final String bosText;
    private final String eosText;
    private final Jinjava jinjava;

    private ChatTemplate(String source, boolean fallback, String bosText, String eosText) {
        this.source = source;
        this.fallback = fallback;
        this.bosText = bosText;
        this.eosText = eosText;
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                ChatTemplate.class, "raiseException", String.class));
    }

    /** The model's own template when it has one that renders a simple conversation, else ChatML. */
    public static ChatTemplate of(Optional<String> modelTemplate, String bosText, String eosText) {
        if (modelTemplate.isPresent() && !modelTemplate.get().isBlank()) {
            ChatTemplate own = new ChatTemplate(modelTemplate.get(), false, bosText, eosText);
            try {
                own.render(List.of(new ChatMessage("system", "s"), new ChatMessage("user", "u"),
                        new ChatMessage("assistant", "a"), new ChatMessage("user", "u")));
                return own;
            } catch (IllegalArgumentException e) {
                LOG.log(System.Logger.Level.WARNING, "the model's chat template does not render here ("
                        + e.getMessage() + "); using ChatML");
            }
        }
        return chatml(bosText, eosText);
    }

    public static ChatTemplate chatml(String bosText, String eosText) {
        return new ChatTemplate(CHATML, true, bosText, eosText);
    }

    /** True when this is the ChatML fallback rather than the model's own template. */
    public boolean isFallback() {
        return fallback;
    }

    /** Stop strings the template implies beyond the vocabulary's end-of-generation tokens. */
    public List<String> stopStrings() {
        return fallback ? CHATML_STOPS : List.of();
    }

    /**
     * The prompt tokens of the conversation: {@link #render} tokenized by {@code engine}, with its BOS added unless
     * the template already wrote it.
     *
     * @throws IllegalArgumentException as {@link #render}
     */
    public int[] prompt(List<ChatMessage> messages, CompletionEngine engine) {
        String rendered = render(messages);
        boolean addSpecial = engine.bosText().isEmpty() || !rendered.startsWith(engine.bosText());
        return engine.tokenize(rendered, addSpecial);
    }

    /**
     * Renders the conversation followed by the assistant's turn prefix.
     *
     * @throws IllegalArgumentException when the template rejects the conversation (raise_exception, say, for
     *                                  roles that do not alternate) or fails to render
     */
    public String render(List<ChatMessage> messages) {
        List<Map<String, Object>> list = messages.stream().map(m -> {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            return map;
        }).toList();
        Map<String, Object> context = new HashMap<>();
        context.put("messages", list);
        context.put("add_generation_prompt", true);
        context.put("bos_token", bosText);
        context.put("eos_token", eosText);
        RenderResult result;
        try {
            result = jinjava.renderForResult(source, context);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("chat template failed: " + rootMessage(e), e);
        }
        var fatal = result.getErrors().stream()
                .filter(err -> err.getSeverity() == com.hubspot.jinjava.interpret.TemplateError.ErrorType.FATAL)
                .findFirst();
        if (fatal.isPresent()) {
            Exception cause = fatal.get().getException();
            String message = cause != null ? rootMessage(cause) : fatal.get().getMessage();
            throw new IllegalArgumentException("chat template failed: " + message, cause);
        }
        return result.getOutput();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** Jinja's {@code raise_exception(msg)} as Hugging Face defines it for chat templates. */
    public static String raiseException(String message) {
        throw new IllegalArgumentException(message);
    }
}

package dev.memdec.plugin.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.memdec.converter.io.TextFiles;
import dev.memdec.plugin.mix.MixMode;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Validates OpenAI-style request bodies into {@link CompletionJob}s. Every numeric parameter is range-checked
 * (anchors.md §4b: servers have been broken through unchecked request numbers).
 *
 * <p>Unknown top-level fields are ignored, as llama-server does and as OpenAI's clients need (they send fields
 * such as {@code user} or {@code stream_options} freely). Unknown fields inside memdec's own {@code memory}
 * object are refused with 400, because a misspelt {@code lamda} would otherwise silently do nothing.
 */
public final class RequestParser {
    /** OpenAI's default for /v1/completions. */
    static final int DEFAULT_COMPLETION_MAX_TOKENS = 16;
    static final int MAX_STOPS = 4;
    static final int MAX_STOP_LENGTH = 256;
    static final int MAX_COMPLETION_LOGPROBS = 5;
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");
    private static final Set<String> MEMORY_FIELDS = Set.of("enabled", "name", "lambda", "temperature", "mix");

    private final CompletionEngine engine;
    private final ChatTemplate template;
    private final double defaultLambda;
    private final MixMode defaultMix;

    /** A parser whose requests mix in probability space unless they set {@code memory.mix}. */
    public RequestParser(CompletionEngine engine, ChatTemplate template, double defaultLambda) {
        this(engine, template, defaultLambda, MixMode.PROB);
    }

    public RequestParser(CompletionEngine engine, ChatTemplate template, double defaultLambda, MixMode defaultMix) {
        if (!(defaultLambda >= 0 && defaultLambda <= 1)) {
            throw new IllegalArgumentException("--lambda must be in [0, 1], got " + defaultLambda);
        }
        if (defaultMix == null) {
            throw new IllegalArgumentException("the default mix mode must not be null");
        }
        this.engine = engine;
        this.template = template;
        this.defaultLambda = defaultLambda;
        this.defaultMix = defaultMix;
    }

    /**
     * A request body as a JSON object: strict UTF-8 (a replacement character would silently change the prompt),
     * strict JSON with Gson's nesting limit, one value and nothing after it; anything else is a 400.
     */
    public static JsonObject body(byte[] body) {
        JsonElement json;
        try {
            JsonReader reader = new JsonReader(new StringReader(TextFiles.decodeUtf8("request body", body)));
            reader.setStrictness(Strictness.STRICT);
            json = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonParseException("trailing data after the JSON value");
            }
        } catch (CharacterCodingException e) {
            throw new ApiException(400, "invalid_request_error", null, "invalid_utf8", e.getMessage());
        } catch (JsonParseException | IOException | IllegalStateException | StackOverflowError e) {
            throw new ApiException(400, "invalid_request_error", null, "invalid_json",
                    "request body is not valid JSON: " + e.getMessage());
        }
        if (!json.isJsonObject()) {
            throw new ApiException(400, "invalid_request_error", null, "invalid_json", "request body must be a JSON object");
        }
        return json.getAsJsonObject();
    }

    public CompletionJob completion(JsonObject body) {
        int[] prompt = completionPrompt(required(body, "prompt"));
        int maxTokens = optionalInt(body, "max_tokens", 1, Integer.MAX_VALUE, DEFAULT_COMPLETION_MAX_TOKENS);
        int topLogprobs = optionalInt(body, "logprobs", 0, MAX_COMPLETION_LOGPROBS, -1);
        return job(false, body, prompt, maxTokens, topLogprobs, List.of());
    }

    public CompletionJob chat(JsonObject body) {
        List<ChatMessage> messages = messages(required(body, "messages"));
        int[] prompt;
        try {
            prompt = template.prompt(messages, engine);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("messages", e.getMessage());
        }
        int maxTokens = optionalInt(body, "max_completion_tokens", 1, Integer.MAX_VALUE,
                optionalInt(body, "max_tokens", 1, Integer.MAX_VALUE, Integer.MAX_VALUE));
        int topLogprobs = -1;
        if (optionalBoolean(body, "logprobs", false)) {
            topLogprobs = optionalInt(body, "top_logprobs", 0, SamplingParams.MAX_TOP_LOGPROBS, 0);
        } else if (present(body, "top_logprobs")) {
            throw ApiException.invalid("top_logprobs", "top_logprobs needs logprobs: true");
        }
        return job(true, body, prompt, maxTokens, topLogprobs, template.stopStrings());
    }

    private CompletionJob job(boolean chat, JsonObject body, int[] prompt, int maxTokens, int topLogprobs,
                              List<String> templateStops) {
        if (prompt.length == 0) {
            throw ApiException.invalid(chat ? "messages" : "prompt", "the prompt is empty");
        }
        if (topLogprobs >= 0 && !engine.supportsLogprobs()) {
            throw new ApiException(400, "invalid_request_error", "logprobs", "unsupported",
                    "this server's runtime does not report token probabilities; leave logprobs unset");
        }
        int room = engine.contextLength() - prompt.length;
        if (room < 1) {
            throw new ApiException(400, "invalid_request_error", chat ? "messages" : "prompt", "context_length_exceeded",
                    "the prompt has " + prompt.length + " tokens but the context holds " + engine.contextLength()
                            + " (and at least one must be left to generate)");
        }
        if (optionalInt(body, "n", 1, 1, 1) != 1) {
            throw ApiException.invalid("n", "only n = 1 is supported");
        }
        double temperature = optionalDouble(body, "temperature", 0, 2, 1.0);
        double topP = optionalDouble(body, "top_p", Double.MIN_VALUE, 1, 1.0);
        // top_k and min_p are llama.cpp server extensions to OpenAI's fields (0 = off).
        int topK = optionalInt(body, "top_k", 0, Integer.MAX_VALUE, 0);
        double minP = optionalDouble(body, "min_p", 0, 1, 0);
        if (minP == 1) {
            throw ApiException.invalid("min_p", "min_p must be in [0, 1), got " + body.get("min_p"));
        }
        long seed = present(body, "seed") ? longValue(body.get("seed"), "seed")
                : ThreadLocalRandom.current().nextLong();
        List<String> stops = new ArrayList<>(stops(body));
        templateStops.stream().filter(s -> !stops.contains(s)).forEach(stops::add);
        boolean stream = optionalBoolean(body, "stream", false);
        boolean includeUsage = false;
        if (present(body, "stream_options")) {
            JsonObject options = object(body.get("stream_options"), "stream_options");
            includeUsage = optionalBoolean(options, "include_usage", false, "stream_options.include_usage");
        }
        String model = present(body, "model") ? string(body.get("model"), "model") : engine.modelId();
        return new CompletionJob(chat, model, prompt, new SamplingParams(temperature, topK, topP, minP, seed, topLogprobs),
                memory(body), Math.min(maxTokens, room), stops, topLogprobs, stream, includeUsage);
    }

    /** The per-request memory extension; absent means the default memory (if any) at the server's λ. */
    MemorySelection memory(JsonObject body) {
        List<String> names = engine.memoryNames();
        if (!present(body, "memory")) {
            return names.isEmpty() ? MemorySelection.none()
                    : MemorySelection.of(names.getFirst(), defaultLambda, 1.0, defaultMix);
        }
        JsonObject memory = object(body.get("memory"), "memory");
        for (String key : memory.keySet()) {
            if (!MEMORY_FIELDS.contains(key)) {
                throw new ApiException(400, "invalid_request_error", "memory." + key, "unknown_parameter",
                        "unknown field memory." + key + "; expected one of " + MEMORY_FIELDS);
            }
        }
        double lambda = optionalDouble(memory, "lambda", 0, 1, defaultLambda, "memory.lambda");
        double temperature = optionalDouble(memory, "temperature", Double.MIN_VALUE, 10, 1.0, "memory.temperature");
        MixMode mix = defaultMix;
        if (present(memory, "mix")) {
            try {
                mix = MixMode.parse(string(memory.get("mix"), "memory.mix"), "memory.mix");
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("memory.mix", e.getMessage());
            }
        }
        if (!optionalBoolean(memory, "enabled", true, "memory.enabled")) {
            return MemorySelection.none();
        }
        String name;
        if (present(memory, "name")) {
            name = string(memory.get("name"), "memory.name");
            if (!names.contains(name)) {
                throw new ApiException(404, "invalid_request_error", "memory.name", "memory_not_found",
                        "no memory named '" + name + "' is loaded; loaded: " + names);
            }
        } else if (names.isEmpty()) {
            throw new ApiException(400, "invalid_request_error", "memory", "memory_not_found",
                    "memory.enabled is true but the server has no memory loaded (start it with --memory NAME=FILE)");
        } else {
            name = names.getFirst();
        }
        return MemorySelection.of(name, lambda, temperature, mix);
    }

    private int[] completionPrompt(JsonElement prompt) {
        if (prompt.isJsonPrimitive() && prompt.getAsJsonPrimitive().isString()) {
            return engine.tokenize(prompt.getAsString(), true);
        }
        if (prompt.isJsonArray()) {
            JsonArray array = prompt.getAsJsonArray();
            if (array.size() == 1 && array.get(0).isJsonPrimitive() && array.get(0).getAsJsonPrimitive().isString()) {
                return engine.tokenize(array.get(0).getAsString(), true);
            }
            int[] tokens = new int[array.size()];
            for (int i = 0; i < tokens.length; i++) {
                JsonElement e = array.get(i);
                if (!(e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber())) {
                    throw ApiException.invalid("prompt", "prompt must be a string, an array of one string, or an "
                            + "array of token ids (several prompts in one request are not supported)");
                }
                tokens[i] = intValue(e, "prompt[" + i + "]", 0, engine.vocabSize() - 1);
            }
            return tokens;
        }
        throw ApiException.invalid("prompt", "prompt must be a string, an array of one string, or an array of token ids");
    }

    private static List<ChatMessage> messages(JsonElement element) {
        if (!element.isJsonArray() || element.getAsJsonArray().isEmpty()) {
            throw ApiException.invalid("messages", "messages must be a non-empty array of {role, content}");
        }
        List<ChatMessage> messages = new ArrayList<>();
        JsonArray array = element.getAsJsonArray();
        for (int i = 0; i < array.size(); i++) {
            String param = "messages[" + i + "]";
            JsonObject message = object(array.get(i), param);
            String role = string(required(message, "role", param + ".role"), param + ".role");
            if (!ROLES.contains(role)) {
                throw ApiException.invalid(param + ".role", "role must be one of " + ROLES + ", got '" + role + "'");
            }
            messages.add(new ChatMessage(role, content(message.get("content"), param + ".content")));
        }
        return messages;
    }

    /** A string, null (assistant turns with tool calls), or an array of text parts. */
    private static String content(JsonElement content, String param) {
        if (content == null || content.isJsonNull()) {
            return "";
        }
        if (content.isJsonPrimitive() && content.getAsJsonPrimitive().isString()) {
            return content.getAsString();
        }
        if (content.isJsonArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonElement part : content.getAsJsonArray()) {
                JsonObject p = object(part, param + "[]");
                String type = string(required(p, "type", param + "[].type"), param + "[].type");
                if (!type.equals("text")) {
                    throw ApiException.invalid(param, "only text content parts are supported, got '" + type + "'");
                }
                text.append(string(required(p, "text", param + "[].text"), param + "[].text"));
            }
            return text.toString();
        }
        throw ApiException.invalid(param, "content must be a string or an array of text parts");
    }

    private static List<String> stops(JsonObject body) {
        if (!present(body, "stop")) {
            return List.of();
        }
        JsonElement stop = body.get("stop");
        List<String> stops = new ArrayList<>();
        if (stop.isJsonArray()) {
            for (JsonElement e : stop.getAsJsonArray()) {
                stops.add(string(e, "stop"));
            }
        } else {
            stops.add(string(stop, "stop"));
        }
        if (stops.size() > MAX_STOPS) {
            throw ApiException.invalid("stop", "at most " + MAX_STOPS + " stop strings, got " + stops.size());
        }
        for (String s : stops) {
            if (s.isEmpty() || s.length() > MAX_STOP_LENGTH) {
                throw ApiException.invalid("stop", "stop strings must be 1 to " + MAX_STOP_LENGTH + " characters long");
            }
        }
        return stops;
    }

    // --- typed access with the parameter's name in every error ---

    private static boolean present(JsonObject o, String key) {
        return o.has(key) && !o.get(key).isJsonNull();
    }

    private static JsonElement required(JsonObject o, String key) {
        return required(o, key, key);
    }

    private static JsonElement required(JsonObject o, String key, String param) {
        if (!present(o, key)) {
            throw new ApiException(400, "invalid_request_error", param, "missing_required_parameter",
                    "missing required parameter '" + param + "'");
        }
        return o.get(key);
    }

    private static JsonObject object(JsonElement e, String param) {
        if (!e.isJsonObject()) {
            throw ApiException.invalid(param, param + " must be an object");
        }
        return e.getAsJsonObject();
    }

    private static String string(JsonElement e, String param) {
        if (!(e.isJsonPrimitive() && e.getAsJsonPrimitive().isString())) {
            throw ApiException.invalid(param, param + " must be a string");
        }
        return e.getAsString();
    }

    private static boolean optionalBoolean(JsonObject o, String key, boolean fallback) {
        return optionalBoolean(o, key, fallback, key);
    }

    private static boolean optionalBoolean(JsonObject o, String key, boolean fallback, String param) {
        if (!present(o, key)) {
            return fallback;
        }
        JsonElement e = o.get(key);
        if (!(e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean())) {
            throw ApiException.invalid(param, param + " must be true or false");
        }
        return e.getAsBoolean();
    }

    private static int optionalInt(JsonObject o, String key, int min, int max, int fallback) {
        return present(o, key) ? intValue(o.get(key), key, min, max) : fallback;
    }

    private static int intValue(JsonElement e, String param, int min, int max) {
        BigDecimal value = number(e, param);
        try {
            int v = value.intValueExact();
            if (v >= min && v <= max) {
                return v;
            }
        } catch (ArithmeticException notAnInt) {
            // falls through to the range message
        }
        throw ApiException.invalid(param, param + " must be an integer in [" + min + ", " + max + "], got " + value);
    }

    private static long longValue(JsonElement e, String param) {
        BigDecimal value = number(e, param);
        try {
            return value.longValueExact();
        } catch (ArithmeticException notALong) {
            throw ApiException.invalid(param, param + " must be a 64-bit integer, got " + value);
        }
    }

    private static double optionalDouble(JsonObject o, String key, double min, double max, double fallback) {
        return optionalDouble(o, key, min, max, fallback, key);
    }

    private static double optionalDouble(JsonObject o, String key, double min, double max, double fallback,
                                         String param) {
        if (!present(o, key)) {
            return fallback;
        }
        double v = number(o.get(key), param).doubleValue();
        if (!(v >= min && v <= max)) {
            String low = min == Double.MIN_VALUE ? "(0" : "[" + min;
            throw ApiException.invalid(param, param + " must be in " + low + ", " + max + "], got " + o.get(key));
        }
        return v;
    }

    private static BigDecimal number(JsonElement e, String param) {
        if (!(e.isJsonPrimitive() && ((JsonPrimitive) e).isNumber())) {
            throw ApiException.invalid(param, param + " must be a number");
        }
        try {
            return e.getAsBigDecimal();
        } catch (NumberFormatException bad) {
            throw ApiException.invalid(param, param + " must be a number");
        }
    }

    /** λ for requests that do not set memory.lambda. */
    public double defaultLambda() {
        return defaultLambda;
    }

    /** The mix mode for requests that do not set memory.mix. */
    public MixMode defaultMix() {
        return defaultMix;
    }
}

package dev.memdec.plugin.server;

import com.google.gson.JsonObject;

/**
 * A request the server refuses, with the HTTP status and OpenAI's error shape:
 * {@code {"error": {"message", "type", "param", "code"}}}.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public ApiException(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400 for a parameter with a bad value or type. */
    public static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, "invalid_value", message);
    }

    public int status() {
        return status;
    }

    public JsonObject body() {
        JsonObject error = new JsonObject();
        error.addProperty("message", getMessage());
        error.addProperty("type", type);
        error.addProperty("param", param);
        error.addProperty("code", code);
        JsonObject body = new JsonObject();
        body.add("error", error);
        return body;
    }
}

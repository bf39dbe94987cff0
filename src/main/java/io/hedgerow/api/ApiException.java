package io.hedgerow.api;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A request ends in an OpenAI-style error: {@code {"error": {"message", "type", "param", "code"}}} with this
 * HTTP status. Thrown by handlers, written by {@link ErrorResponses}.
 */
public class ApiException extends Exception {
    private final int status;
    private final String type;
    private final String code;
    private final transient Optional<String> param;
    private final transient Map<String, String> headers;

    public ApiException(int status, String type, String code, String message, Optional<String> param,
                        Map<String, String> headers) {
        super(message);
        this.status = status;
        this.type = Objects.requireNonNull(type, "type");
        this.code = Objects.requireNonNull(code, "code");
        this.param = Objects.requireNonNull(param, "param");
        this.headers = Map.copyOf(headers);
    }

    public ApiException(int status, String type, String code, String message) {
        this(status, type, code, message, Optional.empty(), Map.of());
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String code() {
        return code;
    }

    public Optional<String> param() {
        return param;
    }

    /** Extra response headers, e.g. {@code Retry-After}. */
    public Map<String, String> headers() {
        return headers;
    }
}

package io.hedgerow.model;

/**
 * The classes of upstream failure. Each class gets its own policy (fall back or not, retry or not,
 * how long a key cools down); the policies live in the executor and health packages.
 */
public enum FailureKind {
    /** 429, or provider overload such as Anthropic's 529. */
    RATE_LIMITED("rate limited"),
    /** 500, 502, 503, 504 and other 5xx. */
    SERVER_ERROR("server error"),
    /** Refused, reset or closed before response headers. */
    CONNECTION("connection failed"),
    /** Connect, first-token, idle or total timeout. */
    TIMEOUT("timed out"),
    /** 401/403, or billing/quota exhausted. */
    AUTH("auth failed"),
    /** 400 and other 4xx about the request itself. */
    BAD_REQUEST("request rejected"),
    /** 404: the model (or endpoint) does not exist at this provider; another candidate may well have it. */
    NOT_FOUND("not found"),
    /** The prompt does not fit the model's context window. */
    CONTEXT_LENGTH("context length exceeded"),
    /** The provider's content policy rejected the request or the answer. */
    CONTENT_FILTER("content filtered"),
    /** The provider answered something we could not understand: non-JSON, a malformed or cut stream. */
    BAD_RESPONSE("bad response"),
    /** Not tried: its circuit breaker is open, every key is cooling down, or the prompt cannot fit. */
    UNAVAILABLE("skipped"),
    /** We cancelled the attempt (the client left, or another attempt won). */
    CANCELLED("cancelled"),
    /** The router is shutting down: what is still in flight after the drain timeout is ended. */
    SHUTDOWN("shutting down"),
    /**
     * A bug of the router's own (an adapter threw where it should have reported a failure): not the upstream's
     * fault, so neutral for its breaker; logged once with its stack trace.
     */
    INTERNAL("router error");

    private final String description;

    FailureKind(String description) {
        this.description = description;
    }

    /** A short human description, used in headers and error messages. */
    public String description() {
        return description;
    }
}

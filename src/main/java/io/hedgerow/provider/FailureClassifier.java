package io.hedgerow.provider;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.config.ApiKey;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.json.Json;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Turns what an upstream did (an HTTP status with its headers and body, or an exception) into a
 * {@link Failure}. Shared by every HTTP adapter, so the error classes mean the same for each provider.
 */
public final class FailureClassifier {
    private static final int MAX_MESSAGE = 300;

    private FailureClassifier() {
    }

    /**
     * Classifies a non-2xx answer.
     *
     * @param status the HTTP status
     * @param header header lookup, for {@code Retry-After} and friends
     * @param body   the (possibly truncated) body text
     * @param key    the key used, so an error message echoing it can be redacted
     * @param now    wall-clock instant, for date-valued headers
     */
    public static Failure fromStatus(int status,
                                     Function<String, Optional<String>> header,
                                     String body,
                                     Optional<ApiKey> key,
                                     Instant now) {
        String detail = errorDetail(body);
        String lower = (detail + " " + body).toLowerCase(Locale.ROOT);
        FailureKind kind;
        if (status == 429 || status == 529) {
            // A 429 that says "quota"/"billing" is not going away with a short wait.
            kind = lower.contains("insufficient_quota") || lower.contains("billing") ? FailureKind.AUTH
                    : FailureKind.RATE_LIMITED;
        } else if (status == 401 || status == 403 || status == 402) {
            kind = FailureKind.AUTH;
        } else if (status == 408) {
            kind = FailureKind.TIMEOUT;
        } else if (status == 404 || status == 410) {
            kind = FailureKind.NOT_FOUND;
        } else if (status >= 500) {
            // Whatever its text ("overloaded", "server busy"): a 5xx is the upstream failing. Treated as a rate limit
            // it would cool the key on a blind ladder with no probe and be hidden from the breaker, so a provider back
            // from an outage would stay unused for minutes. Anthropic's 529 and a 429 are the rate-limit signals.
            kind = FailureKind.SERVER_ERROR;
        } else if (isContextLength(lower)) {
            kind = FailureKind.CONTEXT_LENGTH;
        } else if (isContentFilter(lower)) {
            kind = FailureKind.CONTENT_FILTER;
        } else {
            kind = FailureKind.BAD_REQUEST;
        }
        Optional<Duration> retryAfter = RetryAfter.parse(header, now);
        String message = Redactor.redact(detail.isEmpty() ? "HTTP " + status : detail, key);
        return new Failure(kind, status, truncate(message), retryAfter);
    }

    /**
     * A failure reported inside a 2xx body (an error line or event in a stream): the text is redacted and
     * shortened like every other upstream message.
     */
    public static Failure fromErrorText(FailureKind kind, String text, Optional<ApiKey> key) {
        return Failure.of(kind, truncate(Redactor.redact(text, key)));
    }

    /** Classifies an exception thrown while connecting or waiting for response headers. */
    public static Failure fromException(Throwable error, boolean headersReceived) {
        Throwable cause = error;
        for (int depth = 0; cause != null && depth < 10; depth++, cause = cause.getCause()) {
            if (cause instanceof ClosedByInterruptException || cause instanceof InterruptedException) {
                return Failure.of(FailureKind.CANCELLED, "attempt cancelled");
            }
            if (cause instanceof SocketTimeoutException || cause instanceof java.util.concurrent.TimeoutException) {
                return Failure.of(FailureKind.TIMEOUT, headersReceived ? "idle timeout" : "no response in time");
            }
            if (cause instanceof InterruptedIOException) {
                return Failure.of(FailureKind.CANCELLED, "attempt cancelled");
            }
            if (cause instanceof ConnectException || cause instanceof UnknownHostException
                    || cause instanceof NoRouteToHostException || cause instanceof javax.net.ssl.SSLException) {
                return Failure.of(FailureKind.CONNECTION, cause.getClass().getSimpleName() + ": "
                        + truncate(String.valueOf(cause.getMessage())));
            }
        }
        if (Thread.currentThread().isInterrupted()) {
            return Failure.of(FailureKind.CANCELLED, "attempt cancelled");
        }
        FailureKind kind = headersReceived ? FailureKind.BAD_RESPONSE : FailureKind.CONNECTION;
        // Helidon reports a body cut short as a RuntimeException of its own, not an IOException.
        boolean cut = error.getClass().getSimpleName().equals("InsufficientDataAvailableException");
        String what = cut ? "connection closed mid-body"
                : error instanceof IOException || error.getCause() instanceof IOException
                ? "connection broken" : error.getClass().getSimpleName();
        if (cut) {
            return Failure.of(kind, what);
        }
        return Failure.of(kind, what + (error.getMessage() == null ? "" : ": " + truncate(error.getMessage())));
    }

    /** The upstream's own error text: {@code error.message} (OpenAI, Anthropic), {@code error} (Ollama). */
    static String errorDetail(String body) {
        if (body.isBlank()) {
            return "";
        }
        try {
            JsonNode node = Json.MAPPER.readTree(body);
            if (node == null) {
                return "";
            }
            JsonNode error = node.get("error");
            if (error != null && error.isObject()) {
                JsonNode message = error.get("message");
                if (message != null && message.isTextual()) {
                    return message.asText();
                }
            }
            if (error != null && error.isTextual()) {
                return error.asText();
            }
            JsonNode message = node.get("message");
            return message != null && message.isTextual() ? message.asText() : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static boolean isContextLength(String lower) {
        return lower.contains("context_length_exceeded") || lower.contains("context length")
                || lower.contains("context window") || lower.contains("prompt is too long")
                || lower.contains("too many tokens") || lower.contains("maximum context");
    }

    private static boolean isContentFilter(String lower) {
        return lower.contains("content_filter") || lower.contains("content_policy")
                || lower.contains("content management policy") || lower.contains("safety system");
    }

    /** One line of at most 300 characters, for messages that reach headers and logs. */
    public static String truncate(String s) {
        String oneLine = s.replace('\n', ' ').replace('\r', ' ');
        return oneLine.length() <= MAX_MESSAGE ? oneLine : oneLine.substring(0, MAX_MESSAGE) + "...";
    }
}

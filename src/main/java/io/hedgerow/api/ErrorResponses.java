package io.hedgerow.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.exec.AttemptRecord;
import io.hedgerow.exec.ChainFailedException;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.json.Json;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The one table from what went wrong to what the client sees: status, OpenAI error type and code. Upstream
 * failures keep their meaning for the client: a request the provider rejected as invalid is the client's 400,
 * a whole chain rate-limited is a 429 with {@code Retry-After}, a chain that timed out is a 504, anything else
 * that failed upstream is a 502.
 */
public final class ErrorResponses {

    private ErrorResponses() {
    }

    static ApiException invalidRequest(InvalidRequestException e) {
        return new ApiException(400, "invalid_request_error", "invalid_request", e.getMessage(), e.param(), Map.of());
    }

    /** No candidate of the route can serve the request as asked: each named, with why. */
    static ApiException unsupportedByRoute(String alias, java.util.List<String> refusals) {
        return new ApiException(400, "invalid_request_error", "unsupported_by_route",
                                "No candidate of '" + alias + "' can serve this request: "
                                        + String.join("; ", refusals), Optional.empty(), Map.of());
    }

    static ApiException unknownModel(String model) {
        return new ApiException(404, "invalid_request_error", "model_not_found",
                                "The model '" + model + "' does not exist: it is neither a configured route nor "
                                        + "provider/model naming a model the config declares for a configured provider "
                                        + "(in its models or a route; direct-models: any takes undeclared ones). "
                                        + "GET /v1/models lists the routes.",
                                Optional.of("model"), Map.of());
    }

    /** The client-facing error for a chain in which no candidate served. */
    static ApiException chainFailed(ChainFailedException e) {
        Failure decisive = e.decisive();
        String attempts = e.attempts().stream().map(AttemptRecord::summary).collect(Collectors.joining(", "));
        Map<String, String> headers = new LinkedHashMap<>();
        if (!attempts.isEmpty()) {
            headers.put("x-hedgerow-attempts", attempts);
        }
        if (decisive.kind() != FailureKind.SHUTDOWN && e.attempts().stream().anyMatch(AttemptRecord::called)) {
            // The chain was tried, with the retries and fallbacks its policy allows: a client that repeats it at once
            // multiplies the upstream calls for nothing. The official OpenAI and Anthropic SDKs honour this header.
            // When nothing was called (every candidate skipped), Retry-After says when trying again makes sense.
            headers.put("x-should-retry", "false");
        }
        String message = e.getMessage();
        return switch (decisive.kind()) {
            case BAD_REQUEST -> new ApiException(400, "invalid_request_error", "upstream_rejected_request",
                                                 message, Optional.empty(), headers);
            case CONTEXT_LENGTH -> new ApiException(400, "invalid_request_error", "context_length_exceeded",
                                                    message, Optional.of("messages"), headers);
            case CONTENT_FILTER -> new ApiException(400, "invalid_request_error", "content_filter",
                                                    message, Optional.empty(), headers);
            case RATE_LIMITED -> {
                headers.put("Retry-After", retryAfterSeconds(decisive));
                // Anthropic's 529 says "overloaded", not "you sent too much": Messages clients are told so.
                yield new ApiException(429, "rate_limit_error",
                                       decisive.status() == 529 ? "upstream_overloaded" : "upstream_rate_limited",
                                       message, Optional.empty(), headers);
            }
            case UNAVAILABLE -> {
                headers.put("Retry-After", retryAfterSeconds(decisive));
                yield new ApiException(503, "upstream_error", "upstream_unavailable", message, Optional.empty(),
                                       headers);
            }
            case TIMEOUT -> new ApiException(504, "upstream_error", "upstream_timeout", message, Optional.empty(),
                                             headers);
            case CANCELLED -> new ApiException(499, "upstream_error", "cancelled", message, Optional.empty(),
                                               headers);
            case SHUTDOWN -> {
                headers.put("Retry-After", "1");
                yield new ApiException(503, "server_error", "shutting_down", message, Optional.empty(), headers);
            }
            case INTERNAL -> new ApiException(500, "server_error", "internal_error", message, Optional.empty(),
                                              headers);
            default -> new ApiException(502, "upstream_error", "upstream_failed", message, Optional.empty(),
                                        headers);
        };
    }

    private static String retryAfterSeconds(Failure failure) {
        long seconds = failure.retryAfter().map(Duration::toMillis).map(ms -> (ms + 999) / 1000).orElse(1L);
        return String.valueOf(Math.max(1, seconds));
    }

    /** The JSON body of an error. */
    public static ObjectNode body(ApiException e) {
        ObjectNode root = Json.object();
        ObjectNode error = root.putObject("error");
        error.put("message", e.getMessage());
        error.put("type", e.type());
        if (e.param().isPresent()) {
            error.put("param", e.param().get());
        } else {
            error.putNull("param");
        }
        error.put("code", e.code());
        return root;
    }
}

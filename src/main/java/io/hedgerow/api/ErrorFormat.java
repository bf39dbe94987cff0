package io.hedgerow.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.json.Json;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * How an error is written in each inbound API's own shape. {@link ApiException}s are raised in OpenAI's terms
 * (status, {@code type}, {@code code}); this is the one place where they become what a client of each dialect
 * expects:
 * <ul>
 *   <li>{@link #OPENAI}: the status as raised, {@code {"error":{"message","type","param","code"}}};</li>
 *   <li>{@link #ANTHROPIC}: Anthropic's statuses and types, {@code {"type":"error","error":{"type","message"},
 *       "request_id"}}: 400 {@code invalid_request_error} (other 4xx keep their status with that type), 401
 *       {@code authentication_error}, 403 {@code permission_error}, 404 {@code not_found_error}, 413
 *       {@code request_too_large}, 429 {@code rate_limit_error}, 529 {@code overloaded_error} for everything that
 *       means "no capacity now" (a 503, and an upstream chain refused with Anthropic's own 529), 504
 *       {@code timeout_error}, and 500 {@code api_error} for the rest (an upstream failure included).</li>
 * </ul>
 * Headers ({@code Retry-After}, {@code x-hedgerow-attempts}) go out the same in both.
 */
public enum ErrorFormat {
    OPENAI {
        @Override
        public int status(ApiException e) {
            return e.status();
        }

        @Override
        public ObjectNode body(ApiException e, String requestId) {
            return ErrorResponses.body(e);
        }
    },
    ANTHROPIC {
        @Override
        public int status(ApiException e) {
            int status = e.status();
            if (status == 503 || e.code().equals("upstream_overloaded")) {
                return 529;
            }
            if (status == 504 || status == 500 || status < 500) {
                return status;
            }
            return 500;
        }

        @Override
        public ObjectNode body(ApiException e, String requestId) {
            ObjectNode root = Json.object().put("type", "error");
            root.putObject("error").put("type", type(status(e))).put("message", e.getMessage());
            root.put("request_id", requestId);
            return root;
        }
    };

    /** The HTTP status a client of this dialect gets. */
    public abstract int status(ApiException e);

    /** The error body a client of this dialect gets. */
    public abstract ObjectNode body(ApiException e, String requestId);

    /** Anthropic's error type for a status it uses. */
    public static String type(int anthropicStatus) {
        return switch (anthropicStatus) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 529 -> "overloaded_error";
            case 504 -> "timeout_error";
            default -> anthropicStatus < 500 ? "invalid_request_error" : "api_error";
        };
    }

    /** The format of the inbound API at this path: Anthropic's under {@code /v1/messages}, else OpenAI's. */
    public static ErrorFormat forPath(String path) {
        return path.equals("/v1/messages") || path.startsWith("/v1/messages/") ? ANTHROPIC : OPENAI;
    }

    /** Sends the error as a whole response, with its headers. */
    public void send(ServerResponse res, ApiException e, String requestId) {
        try {
            res.status(status(e));
            e.headers().forEach(res::header);
            ClientGone.send(res.header(HeaderNames.CONTENT_TYPE, "application/json"),
                            Json.MAPPER.writeValueAsBytes(body(e, requestId)));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}

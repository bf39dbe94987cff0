package io.hedgerow.api;

import io.hedgerow.json.Json;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;

import java.io.IOException;
import java.io.UncheckedIOException;


/**
 * Errors Helidon answers before a request reaches routing (a malformed request line or header block, headers too
 * large, a body over {@code max-body-size} by its {@code Content-Length} or a chunk's size, HTTP/1.0) in the same
 * OpenAI shape as every other error, so a client's error handling needs one parser; a 413, whose path is known, in
 * the shape of that path's API (Anthropic's under {@code /v1/messages}).
 */
public final class TransportErrors implements DirectHandler {
    private final long maxBodyBytes;

    private TransportErrors(long maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    /** Direct handlers for every event type; {@code maxBodyBytes} is named in a 413's message. */
    public static DirectHandlers handlers(long maxBodyBytes) {
        TransportErrors handler = new TransportErrors(maxBodyBytes);
        DirectHandlers.Builder builder = DirectHandlers.builder();
        for (EventType type : EventType.values()) {
            builder.addHandler(type, handler);
        }
        return builder.build();
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status defaultStatus,
                                    ServerResponseHeaders responseHeaders, String message) {
        Status shown = defaultStatus;
        String said = message;
        if (defaultStatus.code() == 501) {
            // Helidon's answer to a Transfer-Encoding other than chunked ("gzip, chunked"): a request we refuse.
            shown = Status.BAD_REQUEST_400;
            said = "Transfer-Encoding other than chunked is not supported";
        } else if (defaultStatus.code() == 500 && request.method().isEmpty()) {
            // No request line could be parsed (a method with non-ASCII bytes, say): the client's error, not ours.
            shown = Status.BAD_REQUEST_400;
            said = "The request line could not be parsed";
        }
        int status = shown.code();
        String code = switch (status) {
            case 413 -> "request_too_large";
            case 431 -> "headers_too_large";
            case 505 -> "http_version_not_supported";
            case 403 -> "forbidden";
            default -> status < 500 ? "bad_request" : "internal_error";
        };
        String type = status >= 500 && status != 505 ? "server_error" : "invalid_request_error";
        String text = switch (status) {
            case 413 -> "The request body exceeds the limit of " + maxBodyBytes + " bytes";
            case 505 -> "HTTP/1.0 is not supported: send HTTP/1.1";
            default -> said == null || said.isBlank() ? shown.reasonPhrase() : said;
        };
        ApiException error = new ApiException(status, type, code, text);
        // A body over the limit is refused once its path is known: in that API's own shape, as the services would.
        ErrorFormat format = status == 413 && request.path() != null ? ErrorFormat.forPath(request.path())
                : ErrorFormat.OPENAI;
        byte[] body;
        try {
            body = Json.MAPPER.writeValueAsBytes(format.body(error, InboundPipeline.newRequestId()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        responseHeaders.set(HeaderNames.CONTENT_TYPE, "application/json");
        return TransportResponse.builder()
                .status(shown)
                .headers(responseHeaders)
                .entity(body)
                .keepAlive(eventType.keepAlive())
                .build();
    }
}

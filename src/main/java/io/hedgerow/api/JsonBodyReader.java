package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.json.BoundedJson;
import io.hedgerow.json.JsonLimits;
import io.hedgerow.json.JsonRejected;

import io.helidon.http.HttpMediaType;
import io.helidon.webserver.http.ServerRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How every inbound API reads its JSON request body, so that no body can cost the router more than it can afford:
 * <ol>
 *     <li>the content type must be JSON ({@code application/json}, UTF-8), else 415;</li>
 *     <li>a body declared (or found, while reading a chunked one) over {@code max-body-size} is a 413, and the
 *     connection closes;</li>
 *     <li>its bytes are reserved in the router's {@link MemoryBudget} before they are read, and what its tree will
 *     cost ({@link BoundedJson#scan}) before the tree is built: when the budget is spent, a 503 {@code overloaded}
 *     with {@code Retry-After};</li>
 *     <li>the body must be one well-formed JSON value in strict UTF-8 (an empty or whitespace body included: 400
 *     {@code invalid_json}) within the {@link JsonLimits} (400 {@code request_too_complex}); a chunked body whose
 *     framing breaks is a 400 {@code invalid_body_framing} on a closed connection.</li>
 * </ol>
 * Error messages never quote the body. The {@link JsonBody} returned holds its reservation until it is closed, at
 * the end of the request: the canonical request built from it lives as long.
 *
 * <p>Thread-safe; one per router, shared by every inbound API.
 */
public final class JsonBodyReader {
    private final MemoryBudget budget;
    private final JsonLimits limits;
    private volatile Parser parser;

    JsonBodyReader(MemoryBudget budget, JsonLimits limits) {
        this.budget = Objects.requireNonNull(budget, "budget");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** A reader with the default limits and a budget of a quarter of the heap. */
    public static JsonBodyReader create() {
        return new JsonBodyReader(MemoryBudget.forHeap(), JsonLimits.DEFAULTS);
    }

    /** Bytes reserved by requests in flight now. */
    public long reserved() {
        return budget.used();
    }

    /**
     * Reads the request's body as JSON.
     *
     * @param maxBodyBytes the configured {@code max-body-size}
     * @return the tree, holding its memory reservation: close it when the request ends
     */
    public JsonBody read(ServerRequest req, long maxBodyBytes) throws ApiException {
        checkContentType(req);
        OptionalLong declared = req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > maxBodyBytes) {
            throw tooLarge(maxBodyBytes);
        }
        MemoryBudget.Reservation reservation = budget.open();
        try {
            byte[] body = readBytes(req, declared, maxBodyBytes, reservation);
            BoundedJson json = parser(maxBodyBytes);
            BoundedJson.Shape shape = json.scan(body);
            reserve(reservation, shape.treeBytes());
            return new JsonBody(json.tree(body), body, reservation);
        } catch (JsonRejected e) {
            reservation.close();
            throw switch (e.reason()) {
                case MALFORMED -> new ApiException(400, "invalid_request_error", "invalid_json", e.getMessage());
                case TOO_COMPLEX -> new ApiException(400, "invalid_request_error", "request_too_complex",
                                                     e.getMessage());
            };
        } catch (ApiException | RuntimeException e) {
            reservation.close();
            throw e;
        }
    }

    private static void checkContentType(ServerRequest req) throws ApiException {
        Optional<HttpMediaType> contentType = req.headers().contentType();
        if (contentType.isEmpty()) {
            return;
        }
        HttpMediaType type = contentType.get();
        boolean json = type.mediaType().text().equalsIgnoreCase("application/json");
        boolean utf8 = type.charset().map(c -> c.equalsIgnoreCase("utf-8") || c.equalsIgnoreCase("utf8"))
                .orElse(true);
        if (!json || !utf8) {
            throw new ApiException(415, "invalid_request_error", "unsupported_media_type",
                                   "Content-Type '" + type.mediaType().text() + type.charset().map(c -> "; charset="
                                           + c).orElse("") + "' is not supported (expected: application/json, "
                                           + "in UTF-8)");
        }
    }

    private byte[] readBytes(ServerRequest req, OptionalLong declared, long maxBodyBytes,
                             MemoryBudget.Reservation reservation) throws ApiException {
        if (declared.isPresent()) {
            // Before the body is opened: refused, it is left whole for the front door to skip.
            reserve(reservation, declared.getAsLong());
        }
        try (InputStream in = req.content().inputStream()) {
            if (declared.isPresent()) {
                // The usual case: read exactly what was declared, then make sure nothing follows.
                int length = (int) declared.getAsLong();
                byte[] body = in.readNBytes(length);
                if (body.length == length && in.read() < 0) {
                    return body;
                }
                throw new ApiException(400, "invalid_request_error", "unreadable_body",
                                       "The request body does not match its Content-Length");
            }
            // Chunked: Helidon holds each chunk whole before handing it over, and a chunk may be as large as the
            // limit (Helidon refuses larger ones at their size line): that is reserved first. Then a buffer grows
            // (reserving twice its size: the copy made when it grows) up to the limit.
            reserve(reservation, maxBodyBytes);
            byte[] buffer = new byte[0];
            int size = 0;
            byte[] chunk = new byte[8192];
            int n;
            while ((n = in.read(chunk)) >= 0) {
                if (size + (long) n > maxBodyBytes) {
                    throw tooLarge(maxBodyBytes);
                }
                if (size + n > buffer.length) {
                    int grown = (int) Math.min(maxBodyBytes, Math.max(64 * 1024, 2L * (size + n)));
                    reserve(reservation, 2L * (grown - buffer.length));
                    buffer = Arrays.copyOf(buffer, grown);
                }
                System.arraycopy(chunk, 0, buffer, size, n);
                size += n;
            }
            return size == buffer.length ? buffer : Arrays.copyOf(buffer, size);
        } catch (BadFramingException e) {
            if (e.tooLarge()) {
                throw tooLarge(maxBodyBytes);
            }
            throw new ApiException(400, "invalid_request_error", "invalid_body_framing", e.getCause().getMessage(),
                                   Optional.empty(), Map.of("Connection", "close"));
        } catch (IOException | UncheckedIOException e) {
            throw new ApiException(400, "invalid_request_error", "unreadable_body",
                                   "The request body could not be read");
        }
    }

    private void reserve(MemoryBudget.Reservation reservation, long bytes) throws ApiException {
        if (reservation.grow(bytes)) {
            return;
        }
        long total = reservation.held() + bytes;
        if (total > budget.capacity()) {
            throw new ApiException(413, "invalid_request_error", "request_too_large",
                                   "The request would need about " + mib(total) + " MiB of memory to read, more than "
                                           + "this router allows all requests together (" + mib(budget.capacity())
                                           + " MiB, a quarter of its heap)", Optional.empty(),
                                   Map.of("Connection", "close"));
        }
        throw new ApiException(503, "server_error", "overloaded",
                               "Hedgerow is holding as many request bodies as its memory allows; retry shortly",
                               Optional.empty(), Map.of("Retry-After", "1"));
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    static ApiException tooLarge(long maxBodyBytes) {
        return new ApiException(413, "invalid_request_error", "request_too_large",
                                "The request body exceeds the limit of " + maxBodyBytes + " bytes", Optional.empty(),
                                Map.of("Connection", "close"));
    }

    /** The parser for this body limit (rebuilt when a reload changes it). */
    private BoundedJson parser(long maxBodyBytes) {
        Parser current = parser;
        if (current == null || current.maxBodyBytes != maxBodyBytes) {
            current = new Parser(maxBodyBytes, new BoundedJson(limits, maxBodyBytes));
            parser = current;
        }
        return current.json;
    }

    private record Parser(long maxBodyBytes, BoundedJson json) {
    }

    /** A request's body as a tree, with the memory reserved for it until {@link #close}. */
    public static final class JsonBody implements AutoCloseable {
        private final JsonNode json;
        private final byte[] raw;
        private final MemoryBudget.Reservation reservation;

        private JsonBody(JsonNode json, byte[] raw, MemoryBudget.Reservation reservation) {
            this.json = json;
            this.raw = raw;
            this.reservation = reservation;
        }

        public JsonNode json() {
            return json;
        }

        /** The body as received (a same-dialect upstream may be sent exactly this, once it is validated). */
        public byte[] raw() {
            return raw;
        }

        @Override
        public void close() {
            reservation.close();
        }
    }
}

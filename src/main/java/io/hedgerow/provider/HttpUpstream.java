package io.hedgerow.provider;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;

import io.helidon.common.socket.SocketOptions;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.HttpClientRequest;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The HTTP side every network adapter shares: one pooled Helidon {@link WebClient} per provider, POSTs of
 * JSON with the provider's extra headers, redirects never followed, bodies read with a cap, and every
 * non-2xx answer or I/O failure classified by {@link FailureClassifier}.
 */
public final class HttpUpstream {
    /** Largest single SSE/NDJSON line, unless the provider's {@code max-response-size} is smaller. */
    public static final int MAX_LINE_BYTES = 4 * 1024 * 1024;
    private static final int MAX_ERROR_BODY = 64 * 1024;

    private final ProviderConfig config;
    private final String baseUrl;
    private final WebClient client;
    private final Clock clock;

    public HttpUpstream(ProviderConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        URI base = config.baseUrl().orElseThrow(() -> new IllegalArgumentException(
                "provider " + config.name() + " has no base-url"));
        String text = base.toString();
        this.baseUrl = text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
        this.client = WebClient.builder()
                .connectTimeout(config.timeouts().connect())
                .readTimeout(config.timeouts().total())
                .followRedirects(false)
                .keepAlive(true)
                // A request goes out in one write; no reason to let Nagle hold any part of it back.
                .socketOptions(SocketOptions.builder().tcpNoDelay(true).build())
                .build();
    }

    /** The provider this upstream belongs to. */
    public ProviderConfig config() {
        return config;
    }

    /**
     * POSTs a JSON body and returns the response once a 2xx status has arrived; the caller must close it.
     *
     * @param path        appended to the base URL, e.g. {@code /chat/completions}
     * @param json        the request body
     * @param authHeaders headers carrying the key (added after the configured extra headers, so config cannot
     *                    accidentally replace them with an empty value)
     * @param key         the key in use, for redacting upstream error messages
     * @param streaming   whether the answer is a stream: reads then time out after
     *                    max(first-token, idle) instead of the attempt's total
     * @throws ProviderException classified: status errors with their body's message and Retry-After
     */
    public HttpClientResponse post(String path, byte[] json, Map<String, String> authHeaders, Optional<ApiKey> key,
                                   boolean streaming) throws ProviderException {
        Duration readTimeout = streaming
                ? max(config.timeouts().firstToken(), config.timeouts().idle())
                : config.timeouts().total();
        HttpClientRequest request = client.post()
                .uri(URI.create(baseUrl + path))
                .readTimeout(readTimeout)
                .header(HeaderNames.CONTENT_TYPE, "application/json")
                .header(HeaderNames.ACCEPT, streaming ? "text/event-stream, application/x-ndjson, application/json"
                        : "application/json");
        config.headers().forEach((name, value) -> request.header(HeaderNames.create(name), value));
        authHeaders.forEach((name, value) -> request.header(HeaderNames.create(name), value));
        HttpClientResponse response;
        try {
            response = request.submit(json);
        } catch (RuntimeException e) {
            throw new ProviderException(FailureClassifier.fromException(e, false), e);
        }
        int status = response.status().code();
        if (status >= 200 && status < 300) {
            return response;
        }
        try (response) {
            String body = readErrorBody(response);
            Failure failure = FailureClassifier.fromStatus(status,
                    name -> response.headers().first(HeaderNames.create(name)), body, key, clock.instant());
            if (status >= 300 && status < 400) {
                failure = new Failure(FailureKind.BAD_RESPONSE, status, "redirect not followed", Optional.empty());
            }
            throw new ProviderException(failure);
        }
    }

    /**
     * Reads a whole 2xx body, capped at the provider's {@code max-response-size}: beyond it the answer is a
     * {@code BAD_RESPONSE}, not an out-of-memory error.
     */
    public byte[] readBody(HttpClientResponse response) throws ProviderException {
        int max = (int) config.limits().maxResponseBytes();
        try (InputStream in = response.inputStream()) {
            return readCapped(in, max);
        } catch (BodyTooLargeException e) {
            throw ProviderException.of(FailureKind.BAD_RESPONSE, "response body larger than " + max + " bytes");
        } catch (IOException | RuntimeException e) {
            throw new ProviderException(FailureClassifier.fromException(e, true), e);
        }
    }

    /** A line reader over a streamed body: one line (one event) may not exceed the response cap, nor 4 MiB. */
    public LineReader lines(HttpClientResponse response) {
        return new LineReader(response.inputStream(),
                              (int) Math.min(MAX_LINE_BYTES, config.limits().maxResponseBytes()));
    }

    /** The media type of the response, lower-cased, without parameters; empty when absent. */
    public static String contentType(HttpClientResponse response) {
        return response.headers().first(HeaderNames.CONTENT_TYPE)
                .map(v -> v.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT))
                .orElse("");
    }

    private static String readErrorBody(HttpClientResponse response) {
        try (InputStream in = response.inputStream()) {
            return new String(readCapped(in, MAX_ERROR_BODY, true), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            // The status already tells the story; a truncated or unreadable error body adds nothing.
            return "";
        }
    }

    private static byte[] readCapped(InputStream in, int max) throws IOException {
        return readCapped(in, max, false);
    }

    /** Reads up to {@code max} bytes; beyond, the rest is cut ({@code truncate}) or the read fails. */
    private static byte[] readCapped(InputStream in, int max, boolean truncate) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) > 0) {
            if (out.size() + n > max) {
                if (truncate) {
                    out.write(buffer, 0, max - out.size());
                    return out.toByteArray();
                }
                throw new BodyTooLargeException();
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static final class BodyTooLargeException extends IOException {
    }
}

package io.hedgerow.provider;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.config.ApiKey;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.json.Json;

import io.helidon.common.socket.SocketOptions;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.api.WebClient;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientRequest;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProxySelector;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The HTTP side every network adapter shares: one Helidon HTTP/1.1 client per provider with its own keep-alive
 * connection cache (not the JVM-wide one, so that closing a provider's client closes its idle connections), POSTs of
 * JSON with the provider's extra headers, redirects never followed, bodies read with a cap, and every non-2xx answer
 * or I/O failure classified by {@link FailureClassifier}.
 *
 * <p>Until Helidon 4.4.0 the client's cache made a connection given back visible to other requests before its idle
 * monitor started, and a request that took it in that window failed with "Protocol is not HTTP"
 * (helidon-io/helidon#10861); Hedgerow kept a pool of its own then. Fixed by helidon-io/helidon#10880 (4.4.0): the
 * monitor is started first.
 *
 * <p>Per request it only builds what varies: the URI, the fixed headers and the proxy decision are made once.
 */
public final class HttpUpstream {
    /** Largest single SSE/NDJSON line, unless the provider's {@code max-response-size} is smaller. */
    public static final int MAX_LINE_BYTES = 4 * 1024 * 1024;
    private static final int MAX_ERROR_BODY = 64 * 1024;
    private static final byte[] EMPTY_OBJECT = "{}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /**
     * The largest list of models read. Lists are small (OpenAI's a few tens of KiB) except at aggregators
     * (OpenRouter's, with descriptions and prices, about a megabyte); a larger one still proves the key.
     */
    public static final int MAX_LISTING_BYTES = 4 * 1024 * 1024;

    private static final Header ACCEPT_JSON = HeaderValues.create(HeaderNames.ACCEPT, "application/json");
    private static final Header ACCEPT_STREAM = HeaderValues.create(HeaderNames.ACCEPT,
                                                                    "text/event-stream, application/x-ndjson, application/json");

    private final ProviderConfig config;
    private final String baseUrl;
    private final Http1Client client;
    private final List<Header> extraHeaders;
    private final Map<String, URI> uris = new ConcurrentHashMap<>();
    private final Clock clock;
    private final ErrorReader errors;
    private final boolean rawPaths;

    /**
     * How a provider reads its refusals beyond the status and the body's {@code error.message}: Bedrock names the
     * error's type in a header, which decides its class. Gets the classification made from the status and body.
     */
    @FunctionalInterface
    public interface ErrorReader {
        /** Reads nothing more: the status decides. */
        ErrorReader STATUS = (failure, header, body) -> failure;

        Failure read(Failure classified, Function<String, Optional<String>> header, String body);
    }

    public HttpUpstream(ProviderConfig config, Clock clock) {
        this(config, config.baseUrl().orElseThrow(() -> new IllegalArgumentException(
                "provider " + config.name() + " has no base-url")), clock, ErrorReader.STATUS, false);
    }

    /**
     * An upstream at {@code base} (which need not be the provider's {@code base-url}), reading refusals so.
     *
     * @param rawPaths whether request paths are given percent-encoded and must go out exactly so: a signed request
     *                 (SigV4 signs the path as sent) whose path segment holds an id with {@code :} or {@code /}
     *                 (Helidon would decode the path and re-encode it by its own rules)
     */
    public HttpUpstream(ProviderConfig config, URI base, Clock clock, ErrorReader errors, boolean rawPaths) {
        this.config = config;
        this.clock = clock;
        this.errors = errors;
        this.rawPaths = rawPaths;
        String text = base.toString();
        this.baseUrl = text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
        WebClient webClient = WebClient.builder()
                .connectTimeout(config.timeouts().connect())
                .readTimeout(config.timeouts().total())
                .followRedirects(false)
                .keepAlive(true)
                // A request goes out in one write; no reason to let Nagle hold any part of it back.
                .socketOptions(SocketOptions.builder().tcpNoDelay(true).build())
                // The client assembles each request (head and body) in one buffer and writes it once; its 4 KiB
                // socket-level buffer only added a copy (through a fresh array, in Helidon 4.3.0) per request.
                .writeBufferSize(0)
                .proxy(proxyFor(base))
                .shareConnectionCache(false)
                .build();
        // HTTP/1.1 is the only protocol on the class path: asking for it saves a protocol lookup per request.
        this.client = webClient.client(Http1Client.PROTOCOL);
        List<Header> headers = new ArrayList<>();
        config.headers().forEach((name, value) -> headers.add(HeaderValues.create(HeaderNames.create(name), value)));
        this.extraHeaders = List.copyOf(headers);
    }

    /**
     * No proxy when the JVM's proxy settings ({@code -Dhttps.proxyHost} and the like) name none for this upstream;
     * else the system's. Helidon's default (the system's, always) consults the proxy selector on every request.
     */
    private static Proxy proxyFor(URI base) {
        try {
            ProxySelector selector = ProxySelector.getDefault();
            boolean direct = selector == null || selector.select(base).stream()
                    .allMatch(p -> p.type() == java.net.Proxy.Type.DIRECT);
            return direct ? Proxy.noProxy() : Proxy.create();
        } catch (RuntimeException e) {
            return Proxy.create();
        }
    }

    /**
     * Closes the idle keep-alive connections; see {@link ProviderClient#close()}. Called once no request uses this
     * provider any more (after a reload's last request, or after the drain): a request started later fails.
     * Idempotent.
     */
    public void close() {
        client.closeResource();
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
        Http1ClientRequest request = client.post()
                .skipUriEncoding(rawPaths)
                .uri(uri(path))
                .readTimeout(readTimeout)
                .header(HeaderValues.CONTENT_TYPE_JSON)
                .header(streaming ? ACCEPT_STREAM : ACCEPT_JSON);
        extraHeaders.forEach(request::header);
        authHeaders.forEach((name, value) -> request.header(HeaderNames.create(name), value));
        UpstreamTrace.current().forEach((name, value) -> request.header(HeaderNames.create(name), value));
        HttpClientResponse response;
        try {
            response = request.submit(json);
        } catch (RuntimeException e) {
            throw new ProviderException(FailureClassifier.fromException(e, false), e);
        }
        return accepted(response, key);
    }

    /**
     * GETs a JSON answer that checks a key without generating anything (a list of models, OpenRouter's key
     * info), bounded by {@code timeout} while waiting for the headers and for each read of the body, and by
     * {@link #MAX_LISTING_BYTES} (and the provider's {@code max-response-size}). Non-2xx answers and I/O failures
     * are classified as for {@link #post}.
     *
     * @return the answer's JSON; empty when it is larger than the cap: the key was accepted, the rest is not read
     * @throws ProviderException classified; a 2xx answer that is not JSON is a {@code BAD_RESPONSE}
     */
    public Optional<JsonNode> getJson(String path, Map<String, String> authHeaders, Optional<ApiKey> key,
                                      Duration timeout) throws ProviderException {
        Http1ClientRequest request = client.get()
                .skipUriEncoding(rawPaths)
                .uri(uri(path))
                .readTimeout(timeout)
                .header(ACCEPT_JSON);
        extraHeaders.forEach(request::header);
        authHeaders.forEach((name, value) -> request.header(HeaderNames.create(name), value));
        HttpClientResponse response;
        try {
            response = request.request();
        } catch (RuntimeException e) {
            throw new ProviderException(FailureClassifier.fromException(e, false), e);
        }
        int max = (int) Math.min(MAX_LISTING_BYTES, config.limits().maxResponseBytes());
        byte[] body;
        try (HttpClientResponse answer = accepted(response, key); InputStream in = answer.inputStream()) {
            body = readCapped(in, max);
        } catch (BodyTooLargeException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            throw new ProviderException(FailureClassifier.fromException(e, true), e);
        }
        try {
            JsonNode json = Json.MAPPER.readTree(body);
            if (json == null || !json.isObject()) {
                throw ProviderException.of(FailureKind.BAD_RESPONSE, "answer is not a JSON object");
            }
            return Optional.of(json);
        } catch (IOException e) {
            throw ProviderException.of(FailureKind.BAD_RESPONSE, "answer is not JSON");
        }
    }

    /** The body {@link #probe} sends, {@code {}}: a signed probe signs these bytes. */
    public static byte[] probeBody() {
        return EMPTY_OBJECT.clone();
    }

    /**
     * POSTs an empty JSON object to a chat endpoint and returns the status it answers with: a request no model
     * accepts, so refused before anything is generated (400, 401, 422...), or 404/405 where there is no such endpoint.
     * Tells a wrong base-URL path from a server that merely has no list of models. Bounded by {@code timeout}.
     *
     * @throws ProviderException when nothing answers (connection failure, timeout)
     */
    public int probe(String path, Map<String, String> authHeaders, Duration timeout) throws ProviderException {
        Http1ClientRequest request = client.post()
                .skipUriEncoding(rawPaths)
                .uri(uri(path))
                .readTimeout(timeout)
                .header(HeaderValues.CONTENT_TYPE_JSON)
                .header(ACCEPT_JSON);
        extraHeaders.forEach(request::header);
        authHeaders.forEach((name, value) -> request.header(HeaderNames.create(name), value));
        try (HttpClientResponse response = request.submit(EMPTY_OBJECT)) {
            readErrorBody(response); // read (a little) so the connection can be reused
            return response.status().code();
        } catch (RuntimeException e) {
            throw new ProviderException(FailureClassifier.fromException(e, false), e);
        }
    }

    /**
     * The URI of a path below the base. With raw paths the URI's decoded path is the path as given (its {@code %}
     * quoted once more), which Helidon sends as it is when told to skip its own encoding.
     */
    private URI uri(String path) {
        return uris.computeIfAbsent(path, p -> {
            URI plain = URI.create(baseUrl + p);
            if (!rawPaths) {
                return plain;
            }
            int q = p.indexOf('?');
            String rawPath = URI.create(baseUrl).getRawPath() + (q < 0 ? p : p.substring(0, q));
            try {
                return new URI(plain.getScheme(), null, plain.getHost(), plain.getPort(), rawPath,
                               q < 0 ? null : p.substring(q + 1), null);
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException("bad upstream path " + p, e);
            }
        });
    }

    /** The response when its status is 2xx; otherwise it is read (a little), closed and classified. */
    private HttpClientResponse accepted(HttpClientResponse response, Optional<ApiKey> key) throws ProviderException {
        int status = response.status().code();
        if (status >= 200 && status < 300) {
            return response;
        }
        try (response) {
            String body = readErrorBody(response);
            Function<String, Optional<String>> header =
                    name -> response.headers().first(HeaderNames.create(name));
            Failure failure = errors.read(FailureClassifier.fromStatus(status, header, body, key, clock.instant()),
                                          header, body);
            if (status >= 300 && status < 400) {
                failure = new Failure(FailureKind.BAD_RESPONSE, status, "redirect not followed", Optional.empty());
            }
            throw new ProviderException(failure);
        }
    }

    /**
     * Reads a whole 2xx body, capped at the provider's {@code max-response-size}: beyond it the answer is a
     * {@code BAD_RESPONSE}, not an out-of-memory error. A declared length is read in one go: Helidon allocates a
     * buffer of the size asked for on every read, so reading in 8 KiB steps cost a 16 KiB detour for a typical
     * answer of a few hundred bytes.
     */
    public byte[] readBody(HttpClientResponse response) throws ProviderException {
        int max = (int) config.limits().maxResponseBytes();
        try (InputStream in = response.inputStream()) {
            OptionalLong declared = response.headers().contentLength();
            if (declared.isPresent() && declared.getAsLong() <= max) {
                int length = (int) declared.getAsLong();
                byte[] body = new byte[length];
                int read = in.readNBytes(body, 0, length);
                if (read < length) {
                    throw new EOFException("body ended after " + read + " of " + length + " bytes");
                }
                return body;
            }
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

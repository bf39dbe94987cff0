package io.hedgerow.provider.anthropic;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.anthropic.AnthropicCodec;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.FailureKind;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.HttpUpstream;
import io.hedgerow.provider.MessageTransforms;
import io.hedgerow.provider.ModelListing;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderException;

import io.helidon.webclient.api.HttpClientResponse;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Anthropic's Messages API as a {@link ProviderClient}: {@code POST {base-url}/v1/messages} with the key in
 * {@code x-api-key} and {@code anthropic-version: 2023-06-01} (unless the configured headers pin another
 * version). A base URL that already ends in {@code /v1} (the OpenAI habit) gets {@code /messages} only.
 *
 * <p>Each call applies the provider's role map, encodes with {@link AnthropicCodec}, and lets
 * {@link HttpUpstream} classify refusals. Streams are {@link AnthropicStream}s. Holds no per-call state, so
 * one instance serves concurrent calls.
 */
public final class AnthropicProvider implements ProviderClient {
    /** The API version this adapter's wire format follows. */
    static final String API_VERSION = "2023-06-01";
    private static final String VERSION_HEADER = "anthropic-version";

    private final ProviderConfig config;
    private final HttpUpstream upstream;
    private final String path;
    private final String modelsPath;
    private final boolean versionConfigured;

    public AnthropicProvider(ProviderConfig config, Clock clock) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(clock, "clock");
        this.config = config;
        this.upstream = new HttpUpstream(config, clock);
        String basePath = config.baseUrl().map(u -> u.getPath() == null ? "" : u.getPath()).orElse("");
        this.path = basePath.endsWith("/v1") || basePath.endsWith("/v1/") ? "/messages" : "/v1/messages";
        // One page of up to 1000 (the default page is 20): a list with more pages is not judged.
        this.modelsPath = path.replace("/messages", "/models") + "?limit=1000";
        this.versionConfigured = config.headers().keySet().stream().anyMatch(VERSION_HEADER::equalsIgnoreCase);
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public void close() {
        upstream.close();
    }

    @Override
    public ChatResponse complete(ProviderCall call) throws ProviderException {
        Objects.requireNonNull(call, "call");
        byte[] body = encode(call, false);
        try (HttpClientResponse response = upstream.post(path, body, authHeaders(call), call.key(), false)) {
            return AnthropicCodec.response(upstream.readBody(response), call.model());
        } catch (DialectException e) {
            throw ProviderException.from(e, call.key());
        }
    }

    @Override
    public ChatStream stream(ProviderCall call) throws ProviderException {
        Objects.requireNonNull(call, "call");
        byte[] body = encode(call, true);
        HttpClientResponse response = upstream.post(path, body, authHeaders(call), call.key(), true);
        String type = HttpUpstream.contentType(response);
        if (!type.isEmpty() && !type.equals("text/event-stream")) {
            // A proxy's JSON or HTML page would otherwise surface later as a stream cut before message_stop.
            response.close();
            throw ProviderException.of(FailureKind.BAD_RESPONSE, "expected text/event-stream, got " + type);
        }
        try {
            return new AnthropicStream(response, upstream.lines(response), call.key());
        } catch (RuntimeException e) {
            // The stream owns the response from here on; until it exists, nobody else would close it.
            response.close();
            throw e;
        }
    }

    /** {@code GET /v1/models} with the headers a chat call sends ({@code x-api-key}, {@code anthropic-version}). */
    @Override
    public Optional<Integer> chatEndpointStatus(Optional<ApiKey> key, Duration timeout) throws ProviderException {
        return Optional.of(upstream.probe(path, authHeaders(key), timeout));
    }

    @Override
    public ModelListing listModels(Optional<ApiKey> key, Duration timeout) throws ProviderException {
        return ModelListing.parse(upstream.getJson(modelsPath, authHeaders(key), key, timeout), "data", "id", key);
    }

    private byte[] encode(ProviderCall call, boolean stream) throws ProviderException {
        try {
            return AnthropicCodec.encode(request(call), call.model(), stream);
        } catch (DialectException e) {
            throw ProviderException.from(e, call.key());
        }
    }

    private ChatRequest request(ProviderCall call) {
        return MessageTransforms.applyRoleMap(call.request(), config.roleMap());
    }

    private Map<String, String> authHeaders(ProviderCall call) {
        return authHeaders(call.key());
    }

    private Map<String, String> authHeaders(Optional<ApiKey> apiKey) {
        Map<String, String> headers = new LinkedHashMap<>();
        apiKey.ifPresent(key -> headers.put("x-api-key", key.value()));
        if (!versionConfigured) {
            headers.put(VERSION_HEADER, API_VERSION);
        }
        return headers;
    }
}

package io.hedgerow.provider.anthropic;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.anthropic.AnthropicCodec;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.Dialect;
import io.hedgerow.model.WireBody;
import io.hedgerow.model.WireRequest;
import io.hedgerow.model.FailureKind;
import io.hedgerow.provider.AnswerTool;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.Honoured;
import io.hedgerow.provider.HttpUpstream;
import io.hedgerow.provider.MessageTransforms;
import io.hedgerow.provider.ModelListing;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.provider.WireCalls;
import io.hedgerow.json.Json;

import io.helidon.webclient.api.HttpClientResponse;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Anthropic's Messages API as a {@link ProviderClient}: {@code POST {base-url}/v1/messages} with the key in
 * {@code x-api-key} and {@code anthropic-version: 2023-06-01} (unless the configured headers pin another
 * version). A base URL that already ends in {@code /v1} (the OpenAI habit) gets {@code /messages} only.
 *
 * <p>Each call applies the provider's role map, encodes with {@link AnthropicCodec}, and lets
 * {@link HttpUpstream} classify refusals. Streams are {@link AnthropicStream}s. Holds no per-call state, so
 * one instance serves concurrent calls.
 *
 * <p>A client that spoke the Messages API itself is sent its own request bytes with only the model rewritten
 * ({@link WireCalls}), its {@code anthropic-version} (unless configured) and its allow-listed {@code anthropic-beta}
 * features (added to configured ones); its answer keeps the upstream's body, or its events as
 * {@link io.hedgerow.model.StreamEvent.WireFrame}s, beside the canonical form. {@link #countTokens} asks
 * {@code /v1/messages/count_tokens}.
 */
public final class AnthropicProvider implements ProviderClient {
    /** The API version this adapter's wire format follows. */
    static final String API_VERSION = "2023-06-01";
    private static final String VERSION_HEADER = "anthropic-version";
    private static final String BETA_HEADER = "anthropic-beta";

    private final ProviderConfig config;
    private final HttpUpstream upstream;
    private final String path;
    private final String modelsPath;
    private final boolean versionConfigured;
    private final Optional<String> configuredBetas;

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
        this.configuredBetas = config.headers().entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase(BETA_HEADER)).map(Map.Entry::getValue).findFirst();
    }

    @Override
    public Optional<String> cannotServe(ChatRequest request) {
        return WireCalls.cannotExpress(request, config.name(), "the Anthropic API", Set.of(Dialect.ANTHROPIC))
                .or(() -> Honoured.refused(request, config.name(), "Anthropic"));
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
        Encoded encoded = encode(call, false);
        try (HttpClientResponse response = upstream.post(path, encoded.body(), authHeaders(call), call.key(),
                                                         false)) {
            byte[] answer = upstream.readBody(response);
            ChatResponse decoded = AnthropicCodec.response(answer, call.model());
            if (encoded.answerTool()) {
                return AnswerTool.answer(decoded);
            }
            return relays(call) ? decoded.withWire(new WireBody(Dialect.ANTHROPIC, answer)) : decoded;
        } catch (DialectException e) {
            throw ProviderException.from(e, call.key());
        }
    }

    @Override
    public ChatStream stream(ProviderCall call) throws ProviderException {
        Objects.requireNonNull(call, "call");
        Encoded encoded = encode(call, true);
        HttpClientResponse response = upstream.post(path, encoded.body(), authHeaders(call), call.key(), true);
        String type = HttpUpstream.contentType(response);
        if (!type.isEmpty() && !type.equals("text/event-stream")) {
            // A proxy's JSON or HTML page would otherwise surface later as a stream cut before message_stop.
            response.close();
            throw ProviderException.of(FailureKind.BAD_RESPONSE, "expected text/event-stream, got " + type);
        }
        try {
            ChatStream stream = new AnthropicStream(response, upstream.lines(response), call.key(), relays(call));
            return encoded.answerTool() ? AnswerTool.stream(stream) : stream;
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

    /**
     * {@code POST /v1/messages/count_tokens}: the client's own count request when it made one in this dialect, else
     * the canonical request without what counting refuses (the output limit, sampling, streaming).
     */
    @Override
    public Optional<Integer> countTokens(ProviderCall call) throws ProviderException {
        Objects.requireNonNull(call, "call");
        byte[] body;
        Optional<byte[]> own = WireCalls.body(call, Dialect.ANTHROPIC, config.roleMap(), Map.of());
        if (own.isPresent()) {
            body = own.get();
        } else {
            try {
                com.fasterxml.jackson.databind.node.ObjectNode request = AnthropicCodec.request(request(call),
                                                                                               call.model(), false);
                request.remove(java.util.List.of("max_tokens", "stream", "temperature", "top_p", "stop_sequences"));
                body = Json.MAPPER.writeValueAsBytes(request);
            } catch (DialectException e) {
                throw ProviderException.from(e, call.key());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        try (HttpClientResponse response = upstream.post(path + "/count_tokens", body, authHeaders(call),
                                                          call.key(), false)) {
            com.fasterxml.jackson.databind.JsonNode answer = Json.MAPPER.readTree(upstream.readBody(response));
            com.fasterxml.jackson.databind.JsonNode count = answer == null ? null : answer.get("input_tokens");
            if (count == null || !count.canConvertToInt()) {
                throw ProviderException.of(FailureKind.BAD_RESPONSE, "count_tokens answer has no input_tokens");
            }
            return Optional.of(count.intValue());
        } catch (java.io.IOException e) {
            throw ProviderException.of(FailureKind.BAD_RESPONSE, "count_tokens answer is not JSON");
        }
    }

    /** Whether the client speaks this dialect, so the upstream's own answer is worth keeping. */
    private static boolean relays(ProviderCall call) {
        return call.request().wire(Dialect.ANTHROPIC).isPresent();
    }

    /** A request body, and whether it asks for a structured answer through {@link AnswerTool}. */
    private record Encoded(byte[] body, boolean answerTool) {
    }

    /**
     * The client's own bytes when it spoke this dialect; else the translated request, a structured answer asked for
     * by a strict schema as Anthropic's JSON outputs ({@code output_config.format}) and by any other format through
     * {@link AnswerTool}.
     */
    private Encoded encode(ProviderCall call, boolean stream) throws ProviderException {
        WireCalls.requireExpressible(call, Dialect.ANTHROPIC, config.name());
        Optional<byte[]> own = WireCalls.body(call, Dialect.ANTHROPIC, config.roleMap(), Map.of());
        if (own.isPresent()) {
            return new Encoded(own.get(), false);
        }
        try {
            ChatRequest request = AnswerTool.apply(request(call), true);
            return new Encoded(AnthropicCodec.encode(request, call.model(), stream), AnswerTool.added(request));
        } catch (DialectException e) {
            throw ProviderException.from(e, call.key());
        }
    }

    private ChatRequest request(ProviderCall call) {
        return MessageTransforms.applyRoleMap(call.request(), config.roleMap());
    }

    /** The key and version, and what the client sent in this dialect: its version and allow-listed betas. */
    private Map<String, String> authHeaders(ProviderCall call) {
        Map<String, String> headers = authHeaders(call.key());
        Optional<WireRequest> wire = call.request().wire(Dialect.ANTHROPIC);
        if (wire.isPresent()) {
            String version = wire.get().headers().get(VERSION_HEADER);
            if (version != null && !versionConfigured) {
                headers.put(VERSION_HEADER, version);
            }
            String betas = wire.get().headers().get(BETA_HEADER);
            if (betas != null) {
                headers.put(BETA_HEADER, configuredBetas.map(c -> c + "," + betas).orElse(betas));
            }
        }
        return headers;
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

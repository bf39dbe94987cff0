package io.hedgerow.provider.ollama;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.ollama.OllamaCodec;
import io.hedgerow.dialect.ollama.OllamaEmbedCodec;
import io.hedgerow.model.EmbeddingRequest;
import io.hedgerow.model.EmbeddingResponse;
import io.hedgerow.provider.EmbeddingCall;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.FailureKind;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.FailureClassifier;
import io.hedgerow.provider.Honoured;
import io.hedgerow.provider.HttpUpstream;
import io.hedgerow.provider.LineReader;
import io.hedgerow.provider.MessageTransforms;
import io.hedgerow.provider.ModelListing;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.provider.WireCalls;
import io.hedgerow.json.Json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import io.helidon.webclient.api.HttpClientResponse;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An Ollama server, spoken to through its native {@code POST /api/chat} (see {@link OllamaCodec} for the
 * translation, {@link OllamaChatStream} for the NDJSON stream).
 *
 * <p>Each call: apply the provider's role map, translate (refusing with {@code BAD_REQUEST}, before any
 * network traffic, what Ollama cannot take), POST with {@code stream} false or true, and read the answer.
 * Ollama needs no key; when one is configured (Ollama behind an authenticating proxy) it is sent as
 * {@code Authorization: Bearer}. Non-2xx answers are classified by {@link FailureClassifier}: Ollama's
 * {@code 404 {"error":"model 'x' not found"}} is a {@code BAD_REQUEST}, its {@code 503 server busy} a
 * {@code SERVER_ERROR}. An {@code {"error": ...}} object inside a 2xx answer (Ollama's way to fail after
 * the headers went out) is classified by its {@code status} field when it has one, else a
 * {@code SERVER_ERROR}; its text is redacted and shortened.
 */
public final class OllamaProvider implements ProviderClient {
    static final String PATH = "/api/chat";
    static final String TAGS = "/api/tags";
    static final String EMBED = "/api/embed";

    private final ProviderConfig config;
    private final Clock clock;
    private final HttpUpstream upstream;

    public OllamaProvider(ProviderConfig config, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.upstream = new HttpUpstream(config, clock);
    }

    @Override
    public Optional<String> cannotServe(ChatRequest request) {
        return WireCalls.cannotExpress(request, config.name(), "Ollama's API", Set.of())
                .or(() -> Honoured.refused(request, config.name(), "Ollama"));
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
        try (HttpClientResponse response = upstream.post(PATH, body, authHeaders(call.key()), call.key(), false)) {
            JsonNode answer = parseAnswer(upstream.readBody(response));
            if (OllamaCodec.error(answer).isPresent()) {
                throw upstreamError(answer, call.key(), clock);
            }
            return OllamaCodec.response(answer, call.model());
        } catch (DialectException e) {
            throw ProviderException.from(e, call.key());
        }
    }

    @Override
    public ChatStream stream(ProviderCall call) throws ProviderException {
        Objects.requireNonNull(call, "call");
        byte[] body = encode(call, true);
        HttpClientResponse response = upstream.post(PATH, body, authHeaders(call.key()), call.key(), true);
        LineReader lines;
        try {
            lines = upstream.lines(response);
        } catch (RuntimeException e) {
            response.close();
            throw new ProviderException(FailureClassifier.fromException(e, true), e);
        }
        Optional<ApiKey> key = call.key();
        return new OllamaChatStream(response, lines, line -> upstreamError(line, key, clock));
    }

    @Override
    public Optional<String> cannotEmbed(EmbeddingRequest request) {
        return OllamaEmbedCodec.cannotExpress(request).map(why -> config.name() + ": " + why);
    }

    /** {@code POST /api/embed}, see {@link OllamaEmbedCodec}. */
    @Override
    public EmbeddingResponse embed(EmbeddingCall call) throws ProviderException {
        Objects.requireNonNull(call, "call");
        Optional<String> refused = cannotEmbed(call.request());
        if (refused.isPresent()) {
            // Another candidate of the space may take it: passed over, no health charged.
            throw ProviderException.of(FailureKind.UNAVAILABLE, refused.get());
        }
        try {
            byte[] body = OllamaEmbedCodec.writeRequest(call.request(), call.model());
            try (HttpClientResponse response = upstream.post(EMBED, body, authHeaders(call.key()), call.key(),
                                                             false)) {
                return OllamaEmbedCodec.readAnswer(upstream.readBody(response), call.request().inputs().size(),
                                                   call.model());
            }
        } catch (DialectException e) {
            throw ProviderException.from(e, call.key());
        }
    }

    /** {@code GET /api/tags}: the models pulled on this server, e.g. {@code llama3:latest}. */
    @Override
    public Optional<Integer> chatEndpointStatus(Optional<ApiKey> key, Duration timeout) throws ProviderException {
        return Optional.of(upstream.probe(PATH, authHeaders(key), timeout));
    }

    @Override
    public ModelListing listModels(Optional<ApiKey> key, Duration timeout) throws ProviderException {
        return ModelListing.parse(upstream.getJson(TAGS, authHeaders(key), key, timeout), "models", "name", key);
    }

    private byte[] encode(ProviderCall call, boolean stream) throws ProviderException {
        ChatRequest request = MessageTransforms.applyRoleMap(call.request(), config.roleMap());
        try {
            return Json.MAPPER.writeValueAsBytes(OllamaCodec.request(request, call.model(), stream));
        } catch (DialectException e) {
            throw ProviderException.from(e, call.key());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree built in memory always serialises", e);
        }
    }

    private static Map<String, String> authHeaders(Optional<ApiKey> key) {
        return key.filter(k -> !k.value().isEmpty())
                .map(k -> Map.of("Authorization", "Bearer " + k.value()))
                .orElse(Map.of());
    }

    private static JsonNode parseAnswer(byte[] body) throws ProviderException {
        JsonNode answer;
        try {
            answer = OllamaCodec.STRICT.readTree(body);
        } catch (IOException e) {
            answer = null;
        }
        if (answer == null || !answer.isObject()) {
            throw ProviderException.of(FailureKind.BAD_RESPONSE, "answer is not a JSON object");
        }
        return answer;
    }

    /**
     * The failure an {@code {"error": ...}} object stands for: classified like an HTTP answer with its
     * {@code status} when that is a 4xx/5xx number (Ollama adds it for errors that carry a status), else a
     * {@code SERVER_ERROR}. The message is redacted of the key and anything key-shaped.
     */
    static ProviderException upstreamError(JsonNode error, Optional<ApiKey> key, Clock clock) {
        JsonNode status = error.get("status");
        if (status != null && status.isIntegralNumber() && status.asInt() >= 400 && status.asInt() < 600) {
            return new ProviderException(FailureClassifier.fromStatus(status.asInt(), name -> Optional.empty(),
                                                                      error.toString(), key, clock.instant()));
        }
        return new ProviderException(FailureClassifier.fromErrorText(
                FailureKind.SERVER_ERROR, OllamaCodec.error(error).orElse("error"), key));
    }
}

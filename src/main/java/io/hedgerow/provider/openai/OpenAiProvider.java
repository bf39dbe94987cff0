package io.hedgerow.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.config.ApiKey;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.Dialect;
import io.hedgerow.model.WireBody;
import io.hedgerow.model.FailureKind;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.FailureClassifier;
import io.hedgerow.provider.HttpUpstream;
import io.hedgerow.provider.MessageTransforms;
import io.hedgerow.provider.ModelListing;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.provider.WireCalls;
import io.hedgerow.json.Json;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.openai.EmbeddingsCodec;
import io.hedgerow.dialect.openai.OpenAiRequestCodec;
import io.hedgerow.dialect.openai.ResponsesUpstream;
import io.hedgerow.model.EmbeddingRequest;
import io.hedgerow.model.EmbeddingResponse;
import io.hedgerow.provider.EmbeddingCall;
import io.hedgerow.dialect.openai.OpenAiResponseCodec;

import io.helidon.webclient.api.HttpClientResponse;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Any OpenAI-compatible chat completions API: {@code POST {base-url}/chat/completions} with a bearer key.
 * Requests and answers are already in (nearly) canonical shape, so translation is the OpenAI codec's.
 *
 * <p>A client that spoke Chat Completions itself is sent its own request bytes ({@link WireCalls}), with the model
 * rewritten and, for a stream whose client did not ask for usage, {@code stream_options.include_usage} set (usage is
 * needed for accounting; the usage chunk is then not relayed). Its answer keeps the upstream's body, or its chunks as
 * {@link io.hedgerow.model.StreamEvent.WireFrame}s, beside the canonical form.
 */
public final class OpenAiProvider implements ProviderClient {
    private final ProviderConfig config;
    private final HttpUpstream upstream;
    private final boolean openRouter;

    public OpenAiProvider(ProviderConfig config, Clock clock) {
        this(config, clock, isOpenRouter(config));
    }

    /** A test seam: {@code openRouter} as if the base URL were OpenRouter's. */
    OpenAiProvider(ProviderConfig config, Clock clock, boolean openRouter) {
        this.config = config;
        this.upstream = new HttpUpstream(config, clock);
        this.openRouter = openRouter;
    }

    private static boolean isOpenRouter(ProviderConfig config) {
        String host = config.baseUrl().map(u -> String.valueOf(u.getHost()).toLowerCase(Locale.ROOT)).orElse("");
        return host.equals("openrouter.ai") || host.endsWith(".openrouter.ai");
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
        Optional<byte[]> responses = responsesBody(call);
        if (responses.isPresent()) {
            try (HttpClientResponse response = upstream.post("/responses", responses.get(), auth(call.key()),
                                                             call.key(), false)) {
                byte[] body = upstream.readBody(response);
                try {
                    return ResponsesUpstream.answer(readJson(body), call.model())
                            .withWire(new WireBody(Dialect.OPENAI_RESPONSES, body));
                } catch (DialectException e) {
                    throw ProviderException.from(e, call.key());
                }
            }
        }
        try (HttpClientResponse response = send(call, false)) {
            byte[] body = upstream.readBody(response);
            JsonNode json = readJson(body);
            failIfError(json, call.key());
            try {
                ChatResponse answer = OpenAiResponseCodec.parse(json, call.model());
                return relays(call) ? answer.withWire(new WireBody(Dialect.OPENAI, body)) : answer;
            } catch (OpenAiResponseCodec.MalformedResponseException e) {
                throw ProviderException.of(FailureKind.BAD_RESPONSE, e.getMessage());
            }
        }
    }

    /** Whether the client speaks this dialect, so the upstream's own answer is worth keeping. */
    private static boolean relays(ProviderCall call) {
        return call.request().wire(Dialect.OPENAI).isPresent();
    }

    @Override
    public ChatStream stream(ProviderCall call) throws ProviderException {
        Optional<byte[]> responses = responsesBody(call);
        if (responses.isPresent()) {
            HttpClientResponse response = upstream.post("/responses", responses.get(), auth(call.key()), call.key(),
                                                        true);
            requireEventStream(response, call);
            return new ResponsesStream(response, upstream.lines(response), call.key());
        }
        HttpClientResponse response = send(call, true);
        requireEventStream(response, call);
        return new OpenAiStream(response, upstream.lines(response), call.key(), relays(call),
                                call.request().includeUsage());
    }

    @Override
    public Optional<String> cannotServe(ChatRequest request) {
        return WireCalls.cannotExpress(request, config.name(), "the OpenAI API", config.responses()
                ? Set.of(Dialect.OPENAI, Dialect.OPENAI_RESPONSES) : Set.of(Dialect.OPENAI));
    }

    /** Some servers answer a stream request with a JSON error and a 200: never relay that as a stream. */
    private void requireEventStream(HttpClientResponse response, ProviderCall call) throws ProviderException {
        String contentType = HttpUpstream.contentType(response);
        if (!contentType.equals("text/event-stream")) {
            try (response) {
                JsonNode json = readJson(upstream.readBody(response));
                failIfError(json, call.key());
                throw ProviderException.of(FailureKind.BAD_RESPONSE,
                                           "expected text/event-stream, got '" + contentType + "'");
            }
        }
    }

    /**
     * The client's Responses API request as it is to be sent, when this provider serves that API itself
     * ({@code responses: true}) and the client spoke it: only {@code model} rewritten.
     */
    private Optional<byte[]> responsesBody(ProviderCall call) throws ProviderException {
        if (!config.responses() || call.request().wire(Dialect.OPENAI_RESPONSES).isEmpty()) {
            return Optional.empty();
        }
        // Empty when the role map changes the request: then it is translated, as for any provider.
        return WireCalls.body(call, Dialect.OPENAI_RESPONSES, config.roleMap(), Map.of());
    }

    private static Map<String, String> auth(Optional<ApiKey> key) {
        return key.map(k -> Map.of("Authorization", "Bearer " + k.value())).orElse(Map.of());
    }

    @Override
    public Optional<String> cannotEmbed(EmbeddingRequest request) {
        return Optional.empty();
    }

    /** {@code POST {base-url}/embeddings}, see {@link EmbeddingsCodec}. */
    @Override
    public EmbeddingResponse embed(EmbeddingCall call) throws ProviderException {
        byte[] body = EmbeddingsCodec.writeRequest(call.request(), call.model());
        Map<String, String> auth = call.key().map(k -> Map.of("Authorization", "Bearer " + k.value()))
                .orElse(Map.of());
        try (HttpClientResponse response = upstream.post("/embeddings", body, auth, call.key(), false)) {
            return EmbeddingsCodec.readAnswer(upstream.readBody(response), call.request().inputs().size(),
                                              call.model());
        } catch (DialectException e) {
            throw ProviderException.from(e, call.key());
        }
    }

    /**
     * {@code GET {base-url}/models} with the key, as OpenAI, DeepSeek, vLLM, Kimi and OpenRouter serve it. OpenRouter
     * lists its models to anyone, so there {@code GET {base-url}/key} (the key's own info) is asked first: it
     * answers 401 to a key that is not valid.
     */
    @Override
    public Optional<Integer> chatEndpointStatus(Optional<ApiKey> key, Duration timeout) throws ProviderException {
        return Optional.of(upstream.probe("/chat/completions", key.map(k -> Map.of("Authorization", "Bearer " + k.value())).orElse(Map.of()), timeout));
    }

    @Override
    public ModelListing listModels(Optional<ApiKey> key, Duration timeout) throws ProviderException {
        Map<String, String> auth = key.map(k -> Map.of("Authorization", "Bearer " + k.value())).orElse(Map.of());
        if (openRouter) {
            upstream.getJson("/key", auth, key, timeout);
        }
        return ModelListing.parse(upstream.getJson("/models", auth, key, timeout), "data", "id", key);
    }

    private HttpClientResponse send(ProviderCall call, boolean stream) throws ProviderException {
        WireCalls.requireExpressible(call, Dialect.OPENAI, config.name());
        Map<String, String> usage = stream && !call.request().includeUsage()
                ? Map.of("stream_options", "{\"include_usage\":true}") : Map.of();
        Optional<byte[]> own = WireCalls.body(call, Dialect.OPENAI, config.roleMap(), usage);
        byte[] body;
        if (own.isPresent()) {
            body = own.get();
        } else {
            ChatRequest request = MessageTransforms.applyRoleMap(call.request(), config.roleMap());
            try {
                body = Json.MAPPER.writeValueAsBytes(OpenAiRequestCodec.write(request, call.model(), stream));
            } catch (IOException e) {
                throw ProviderException.of(FailureKind.BAD_REQUEST, "cannot encode request: " + e.getMessage());
            }
        }
        Map<String, String> auth = call.key().map(k -> Map.of("Authorization", "Bearer " + k.value()))
                .orElse(Map.of());
        return upstream.post("/chat/completions", body, auth, call.key(), stream);
    }

    private static JsonNode readJson(byte[] body) throws ProviderException {
        try {
            JsonNode json = Json.MAPPER.readTree(body);
            if (json == null || !json.isObject()) {
                throw ProviderException.of(FailureKind.BAD_RESPONSE, "answer is not a JSON object");
            }
            return json;
        } catch (IOException e) {
            throw ProviderException.of(FailureKind.BAD_RESPONSE, "answer is not JSON");
        }
    }

    /** A 2xx body that carries an error object instead of an answer (OpenRouter and others do this). */
    static void failIfError(JsonNode json, Optional<ApiKey> key) throws ProviderException {
        JsonNode error = json.get("error");
        if (error != null && !error.isNull() && json.get("choices") == null) {
            int code = error.path("code").canConvertToInt() ? error.path("code").asInt() : 0;
            String message = error.isObject() ? Json.text(error, "message").orElse("error") : error.asText();
            throw new ProviderException(FailureClassifier.fromStatus(
                    code >= 400 ? code : 502, name -> Optional.empty(),
                    Json.object().put("error", message).toString(),
                    key, java.time.Instant.EPOCH));
        }
    }
}

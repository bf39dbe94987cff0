package io.hedgerow.provider.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.config.ApiKey;
import io.hedgerow.config.BedrockSettings;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.bedrock.BedrockErrors;
import io.hedgerow.dialect.bedrock.ConverseCodec;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.provider.AnswerTool;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.Honoured;
import io.hedgerow.provider.FailureClassifier;
import io.hedgerow.provider.HttpUpstream;
import io.hedgerow.provider.MessageTransforms;
import io.hedgerow.provider.ModelListing;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.provider.WireCalls;

import io.helidon.webclient.api.HttpClientResponse;

import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * AWS Bedrock's Converse API as a {@link ProviderClient}: {@code POST /model/{modelId}/converse} and
 * {@code /converse-stream} on {@code bedrock-runtime.{region}.amazonaws.com} (or the configured {@code base-url}).
 * The model id goes in the path, percent-encoded: a foundation model ({@code anthropic.claude-sonnet-4-...-v1:0}), an
 * inference profile ({@code us.anthropic...}, {@code global.anthropic...}) or either's ARN.
 *
 * <p>Authentication, by {@link BedrockSettings#auth()}: {@code api-key} sends the call's key (a Bedrock API key) as
 * {@code Authorization: Bearer}; {@code sigv4} signs every request with {@link SigV4} (the AWS SDK's signer) using
 * credentials from the standard AWS sources, resolved per request (the SDK's provider caches and refreshes them).
 *
 * <p>Refusals are classified by their {@code x-amzn-ErrorType} ({@link BedrockErrors}), streams are
 * {@link BedrockStream}s of event-stream frames. The live check lists the foundation models and the inference
 * profiles on the control plane ({@code bedrock.{region}.amazonaws.com}): free, and it proves the credentials; when
 * that answers 404, an empty Converse request tells a wrong base-URL path from a control plane elsewhere. Holds no
 * per-call state, so one instance serves concurrent calls.
 */
public final class BedrockProvider implements ProviderClient {
    private static final String EVENT_STREAM = "application/vnd.amazon.eventstream";
    /** The model id in the path of the live check's empty request: never looked up, the body is refused first. */
    private static final String PROBE_MODEL = "hedgerow-probe";

    private final ProviderConfig config;
    private final BedrockSettings settings;
    private final HttpUpstream runtime;
    private final HttpUpstream control;
    private final URI runtimeBase;
    private final URI controlBase;
    private final Supplier<AwsCredentialsIdentity> credentials;
    private final SigV4 signer;

    /**
     * @param credentials where SigV4 credentials come from (the standard AWS chain in production); asked per request,
     *                    and only when {@code auth} is {@code sigv4}
     */
    public BedrockProvider(ProviderConfig config, BedrockSettings settings, Clock clock,
                           Supplier<AwsCredentialsIdentity> credentials) {
        this.config = Objects.requireNonNull(config, "config");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.runtimeBase = trim(config.baseUrl().orElseGet(settings::runtimeUrl));
        this.controlBase = trim(settings.controlUrl(config.baseUrl()));
        this.runtime = new HttpUpstream(config, runtimeBase, clock, BedrockProvider::readError, true);
        this.control = new HttpUpstream(config, controlBase, clock, BedrockProvider::readError, true);
        this.signer = new SigV4(SigV4.SERVICE, settings.region(), clock);
    }

    @Override
    public Optional<String> cannotServe(ChatRequest request) {
        return WireCalls.cannotExpress(request, config.name(), "Bedrock's Converse API", Set.of())
                .or(() -> Honoured.refused(request, config.name(), "Bedrock's Converse API"));
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public void close() {
        runtime.close();
        control.close();
    }

    @Override
    public ChatResponse complete(ProviderCall call) throws ProviderException {
        Objects.requireNonNull(call, "call");
        ChatRequest request = request(call);
        byte[] body = encode(request, call);
        String path = modelPath(call.model(), "converse");
        try (HttpClientResponse response = runtime.post(path, body, auth("POST", runtimeBase, path, body, call.key()),
                                                        call.key(), false)) {
            ChatResponse answer = ConverseCodec.response(runtime.readBody(response), call.model());
            return AnswerTool.added(request) ? AnswerTool.answer(answer) : answer;
        } catch (DialectException e) {
            throw ProviderException.from(e, call.key());
        }
    }

    @Override
    public ChatStream stream(ProviderCall call) throws ProviderException {
        Objects.requireNonNull(call, "call");
        ChatRequest request = request(call);
        byte[] body = encode(request, call);
        String path = modelPath(call.model(), "converse-stream");
        HttpClientResponse response = runtime.post(path, body, auth("POST", runtimeBase, path, body, call.key()),
                                                   call.key(), true);
        String type = HttpUpstream.contentType(response);
        if (!type.equals(EVENT_STREAM)) {
            response.close();
            throw ProviderException.of(FailureKind.BAD_RESPONSE, "expected " + EVENT_STREAM + ", got "
                    + (type.isEmpty() ? "no content type" : type));
        }
        try {
            int maxFrame = (int) Math.min(HttpUpstream.MAX_LINE_BYTES, config.limits().maxResponseBytes());
            ChatStream stream = new BedrockStream(response, maxFrame, call.model(), call.key());
            return AnswerTool.added(request) ? AnswerTool.stream(stream) : stream;
        } catch (RuntimeException e) {
            response.close();
            throw e;
        }
    }

    /**
     * {@code POST /model/hedgerow-probe/converse} with {@code {}}, authenticated as a call is: AWS checks the signature
     * (403 when refused) and then the body's shape, so the empty body is refused (400 {@code ValidationException}:
     * no messages) before any model is looked up or anything generated; 404 means no Converse endpoint at that path.
     */
    @Override
    public Optional<Integer> chatEndpointStatus(Optional<ApiKey> key, Duration timeout) throws ProviderException {
        String path = modelPath(PROBE_MODEL, "converse");
        return Optional.of(runtime.probe(path, auth("POST", runtimeBase, path, HttpUpstream.probeBody(), key),
                                         timeout));
    }

    /**
     * Lists the foundation models ({@code GET /foundation-models}) and the inference profiles
     * ({@code GET /inference-profiles}, one page of up to 1000) with the call's credentials: no tokens spent. The ids
     * and ARNs of both count as listed; a second page of profiles leaves the list unjudged.
     */
    @Override
    public ModelListing listModels(Optional<ApiKey> key, Duration timeout) throws ProviderException {
        List<String> ids = new ArrayList<>();
        Optional<JsonNode> models = control.getJson("/foundation-models",
                                                    auth("GET", controlBase, "/foundation-models", new byte[0], key),
                                                    key, timeout);
        Optional<List<String>> listed = ModelListing.parse(models, "modelSummaries", "modelId", key).ids();
        String profilesPath = "/inference-profiles?maxResults=1000";
        Optional<JsonNode> profiles = control.getJson(profilesPath,
                                                      auth("GET", controlBase, profilesPath, new byte[0], key),
                                                      key, timeout);
        if (listed.isEmpty() || models.isEmpty() || profiles.isEmpty()
                || profiles.get().hasNonNull("nextToken")) {
            return ModelListing.unlisted();
        }
        ids.addAll(listed.get());
        models.get().path("modelSummaries").forEach(m -> addText(ids, m, "modelArn"));
        profiles.get().path("inferenceProfileSummaries").forEach(p -> {
            addText(ids, p, "inferenceProfileId");
            addText(ids, p, "inferenceProfileArn");
        });
        return ModelListing.of(ids);
    }

    /** The path of a runtime operation for a model id (or ARN), percent-encoded as one path segment. */
    static String modelPath(String model, String operation) {
        return "/model/" + encodeSegment(model) + "/" + operation;
    }

    /** RFC 3986: every byte but the unreserved characters as {@code %XX}, as AWS encodes path parameters. */
    static String encodeSegment(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
                    || c == '.' || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return out.toString();
    }

    /**
     * The request as Converse gets it: the role map applied, and an answer format asked for through a forced tool
     * ({@link AnswerTool}: Converse has no JSON mode of its own).
     */
    private ChatRequest request(ProviderCall call) throws ProviderException {
        try {
            return AnswerTool.apply(MessageTransforms.applyRoleMap(call.request(), config.roleMap()), false);
        } catch (DialectException e) {
            throw ProviderException.from(e, call.key());
        }
    }

    private byte[] encode(ChatRequest request, ProviderCall call) throws ProviderException {
        try {
            return ConverseCodec.encode(request);
        } catch (DialectException e) {
            throw ProviderException.from(e, call.key());
        }
    }

    /** The headers that authenticate one request, by the configured mode. */
    private Map<String, String> auth(String method, URI base, String path, byte[] body, Optional<ApiKey> key)
            throws ProviderException {
        if (settings.auth() == BedrockSettings.Auth.API_KEY) {
            ApiKey apiKey = key.orElseThrow(() -> ProviderException.of(FailureKind.AUTH,
                    "no Bedrock API key configured (auth: api-key)"));
            return Map.of("Authorization", "Bearer " + apiKey.value());
        }
        AwsCredentialsIdentity identity;
        try {
            identity = credentials.get();
        } catch (RuntimeException e) {
            // The SDK says which sources it tried; none of that text is a secret.
            throw ProviderException.of(FailureKind.AUTH, "no AWS credentials: "
                    + FailureClassifier.truncate(String.valueOf(e.getMessage())));
        }
        return signer.sign(method, URI.create(base + path), Map.of(), body, identity);
    }

    /** A refusal's class by its {@code x-amzn-ErrorType} (or {@code __type}); a bare 400 is a validation error. */
    static Failure readError(Failure classified, Function<String, Optional<String>> header, String body) {
        Optional<String> type = header.apply("x-amzn-ErrorType").or(() -> bodyType(body));
        if (type.isEmpty() && classified.status() == 400) {
            type = Optional.of("ValidationException");
        }
        return type.flatMap(t -> BedrockErrors.kind(t, classified.message()))
                .map(kind -> new Failure(kind, classified.status(), classified.message(), classified.retryAfter()))
                .orElse(classified);
    }

    private static Optional<String> bodyType(String body) {
        try {
            JsonNode node = io.hedgerow.json.Json.MAPPER.readTree(body);
            return node == null ? Optional.empty() : io.hedgerow.json.Json.text(node, "__type");
        } catch (java.io.IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static void addText(List<String> ids, JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value != null && value.isTextual() && !value.asText().isEmpty()) {
            ids.add(value.asText());
        }
    }

    private static URI trim(URI uri) {
        String text = uri.toString();
        return text.endsWith("/") ? URI.create(text.substring(0, text.length() - 1)) : uri;
    }
}

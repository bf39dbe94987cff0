package io.hedgerow.provider.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.config.ApiKey;
import io.hedgerow.config.BedrockSettings;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderType;
import io.hedgerow.config.SimSettings;
import io.hedgerow.config.Timeouts;
import io.hedgerow.fakes.FakeBedrock;
import io.hedgerow.fakes.SigV4Verifier;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.ToolChoice;
import io.hedgerow.model.ToolDefinition;
import io.hedgerow.preflight.CheckResult;
import io.hedgerow.preflight.Preflight;
import io.hedgerow.preflight.Target;
import io.hedgerow.preflight.Verdict;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ModelListing;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.time.Ticker;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The Bedrock adapter over real HTTP against {@link FakeBedrock}, which checks the SigV4 signature of every request
 * (or the bearer API key): Converse and ConverseStream (event-stream frames), tools both ways, images, inference
 * profiles in the path, error types to failure classes, and the free live check.
 */
class BedrockProviderTest {
    private static final String ACCESS_KEY = "AKIDHEDGEROWTEST";
    private static final String SECRET = "hedgerow/secret/for/the/fake/only";
    private static final String TOKEN = "session-token-for-the-fake";
    private static final String MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0";
    /** For answers that come at once: a bound on liveness only. */
    private static final Duration LIVENESS = Duration.ofSeconds(20);
    private static final ApiKey BEDROCK_KEY = ApiKey.of("bedrock-key", "ABSKbedrock-api-key-for-the-fake");

    private FakeBedrock fake;

    @AfterEach
    void stop() {
        if (fake != null) {
            assertThat("every request was signed correctly", fake.signatureFailures(), is(empty()));
            fake.close();
        }
    }

    @Test
    void converseSignedWithSigV4() throws Exception {
        BedrockProvider provider = signedProvider(() -> AwsSessionCredentialsIdentity.create(ACCESS_KEY, SECRET,
                                                                                             TOKEN));
        fake.enqueue(FakeBedrock.answer().text("Hi there").usage(30, 4));
        ChatResponse response = provider.complete(call(request(Message.text(Role.SYSTEM, "Be brief."),
                                                               Message.text(Role.USER, "Hello"))));
        assertThat(response.message().text(), is("Hi there"));
        assertThat(response.model(), is(MODEL));
        assertThat(response.finishReason(), is(FinishReason.STOP));
        assertThat(response.usage().orElseThrow().promptTokens(), is(30));
        FakeBedrock.Received sent = fake.lastRequest();
        assertThat(sent.rawPath(), is("/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse"));
        assertThat(sent.modelId(), is(Optional.of(MODEL)));
        assertThat(sent.header("x-amz-security-token"), is(Optional.of(TOKEN)));
        JsonNode body = sent.json();
        assertThat(body.path("system").get(0).path("text").asText(), is("Be brief."));
        assertThat(body.path("messages").get(0).path("content").get(0).path("text").asText(), is("Hello"));
        assertThat(body.has("model"), is(false));
    }

    @Test
    void aWrongSecretIsRefusedByTheFakeAsBedrockWould() {
        fake = FakeBedrock.signed(new SigV4Verifier(ACCESS_KEY, SECRET, Optional.empty(), "us-east-1", "bedrock"));
        BedrockProvider provider = provider(sigv4(), () -> AwsCredentialsIdentity.create(ACCESS_KEY, "wrong"));
        ProviderException e = assertThrows(ProviderException.class, () -> provider.complete(call(hello())));
        assertThat(e.failure().kind(), is(FailureKind.AUTH));
        assertThat(fake.signatureFailures().size(), is(1));
        fake.close();
        fake = null;
    }

    @Test
    void inferenceProfileArnsGoInThePathEncoded() throws Exception {
        BedrockProvider provider = signedProvider(() -> AwsCredentialsIdentity.create(ACCESS_KEY, SECRET));
        String arn = "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us." + MODEL;
        provider.complete(new ProviderCall(hello(), arn, Optional.empty()));
        assertThat(fake.lastRequest().modelId(), is(Optional.of(arn)));
        assertThat(fake.lastRequest().rawPath(), containsString("inference-profile%2Fus."));
    }

    @Test
    void toolsBothWaysAndImages() throws Exception {
        BedrockProvider provider = signedProvider(() -> AwsCredentialsIdentity.create(ACCESS_KEY, SECRET));
        fake.enqueue(FakeBedrock.answer().text("Checking.").toolUse("tooluse_2", "get_weather",
                                                                    "{\"city\":\"Oslo\",\"days\":1.50}"));
        Message user = new Message(Role.USER, List.of(new ContentPart.Text("What is this?"),
                                                      new ContentPart.Image("data:image/png;base64,iVBORw0KGgo=", "")),
                                   List.of(), Optional.empty(), Optional.empty());
        Message assistant = new Message(Role.ASSISTANT, List.of(), List.of(new ToolCall("tooluse_1", "get_weather",
                "{\"city\":\"Bergen\"}")), Optional.empty(), Optional.empty());
        Message result = new Message(Role.TOOL, List.of(new ContentPart.Text("rain")), List.of(),
                                     Optional.of("tooluse_1"), Optional.empty());
        ToolDefinition tool = new ToolDefinition("get_weather", "Weather by city",
                                                 Map.of("type", "object", "properties", Map.of("city",
                                                         Map.of("type", "string"))));
        ChatRequest request = new ChatRequest("route", List.of(user, assistant, result), List.of(tool),
                                              Optional.of(new ToolChoice.Function("get_weather")),
                                              new ChatRequest.Sampling(Optional.of(0.2), Optional.empty(),
                                                                       Optional.of(256), List.of("END")),
                                              false, false, Map.of());
        ChatResponse response = provider.complete(call(request));
        assertThat(response.finishReason(), is(FinishReason.TOOL_CALLS));
        assertThat(response.message().toolCalls(), contains(new ToolCall("tooluse_2", "get_weather",
                                                                          "{\"city\":\"Oslo\",\"days\":1.50}")));
        JsonNode body = fake.lastRequest().json();
        JsonNode messages = body.path("messages");
        assertThat(messages.size(), is(3));
        JsonNode image = messages.get(0).path("content").get(1).path("image");
        assertThat(image.path("format").asText(), is("png"));
        assertThat(image.path("source").path("bytes").asText(), is("iVBORw0KGgo="));
        JsonNode use = messages.get(1).path("content").get(0).path("toolUse");
        assertThat(use.path("toolUseId").asText(), is("tooluse_1"));
        assertThat(use.path("input").path("city").asText(), is("Bergen"));
        JsonNode toolResult = messages.get(2).path("content").get(0).path("toolResult");
        assertThat(messages.get(2).path("role").asText(), is("user"));
        assertThat(toolResult.path("toolUseId").asText(), is("tooluse_1"));
        assertThat(toolResult.path("content").get(0).path("text").asText(), is("rain"));
        JsonNode toolConfig = body.path("toolConfig");
        assertThat(toolConfig.path("tools").get(0).path("toolSpec").path("inputSchema").path("json").path("type")
                           .asText(), is("object"));
        assertThat(toolConfig.path("toolChoice").path("tool").path("name").asText(), is("get_weather"));
        assertThat(body.path("inferenceConfig").path("maxTokens").asInt(), is(256));
        assertThat(body.path("inferenceConfig").path("stopSequences").get(0).asText(), is("END"));
    }

    @Test
    void anImageLinkIsRefusedBeforeAnythingIsSent() {
        BedrockProvider provider = signedProvider(() -> AwsCredentialsIdentity.create(ACCESS_KEY, SECRET));
        Message user = new Message(Role.USER, List.of(new ContentPart.Image("https://example.com/cat.png", "")),
                                   List.of(), Optional.empty(), Optional.empty());
        ProviderException e = assertThrows(ProviderException.class, () -> provider.complete(call(request(user))));
        assertThat(e.failure().kind(), is(FailureKind.BAD_REQUEST));
        assertThat(fake.requests(), is(empty()));
    }

    @Test
    void converseStreamReadsEventStreamFrames() throws Exception {
        BedrockProvider provider = signedProvider(() -> AwsCredentialsIdentity.create(ACCESS_KEY, SECRET));
        fake.enqueue(FakeBedrock.answer().reasoning("Think.").text("Sunny now.")
                             .toolUse("tooluse_9", "get_weather", "{\"city\":\"Oslo\"}").usage(40, 9));
        List<StreamEvent> events = new ArrayList<>();
        try (ChatStream stream = provider.stream(call(hello()))) {
            for (Optional<StreamEvent> e = stream.next(); e.isPresent(); e = stream.next()) {
                events.add(e.get());
            }
        }
        assertThat(fake.lastRequest().rawPath(), is("/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream"));
        assertThat(events.get(0), is(new StreamEvent.Metadata(MODEL, Optional.empty(), Optional.empty())));
        assertThat(events, hasItem(new StreamEvent.ReasoningDelta("Think.")));
        StringBuilder text = new StringBuilder();
        StringBuilder arguments = new StringBuilder();
        for (StreamEvent event : events) {
            if (event instanceof StreamEvent.TextDelta t) {
                text.append(t.text());
            }
            if (event instanceof StreamEvent.ToolCallDelta t) {
                assertThat(t.index(), is(0));
                arguments.append(t.argumentsFragment());
            }
        }
        assertThat(text.toString(), is("Sunny now."));
        assertThat(arguments.toString(), is("{\"city\":\"Oslo\"}"));
        assertThat(events, hasItem(new StreamEvent.ToolCallDelta(0, Optional.of("tooluse_9"),
                                                                 Optional.of("get_weather"), "")));
        assertThat(events.get(events.size() - 2), is(new StreamEvent.Finished(FinishReason.TOOL_CALLS)));
        StreamEvent.UsageReported usage = (StreamEvent.UsageReported) events.get(events.size() - 1);
        assertThat(usage.usage().promptTokens(), is(40));
        assertThat(usage.usage().completionTokens(), is(9));
    }

    @Test
    void anExceptionFrameMidStreamIsItsFailureClass() throws Exception {
        BedrockProvider provider = signedProvider(() -> AwsCredentialsIdentity.create(ACCESS_KEY, SECRET));
        fake.enqueue(FakeBedrock.answer().text("Half an ans").thenException("throttlingException", "Too many tokens"
                + " per minute"),
                     FakeBedrock.answer().text("Half").cut());
        try (ChatStream stream = provider.stream(call(hello()))) {
            ProviderException e = assertThrows(ProviderException.class, () -> drain(stream));
            assertThat(e.failure().kind(), is(FailureKind.RATE_LIMITED));
        }
        try (ChatStream stream = provider.stream(call(hello()))) {
            ProviderException e = assertThrows(ProviderException.class, () -> drain(stream));
            assertThat(e.failure().kind(), is(FailureKind.BAD_RESPONSE));
        }
    }

    @Test
    void refusalsAreClassifiedByTheirErrorType() {
        BedrockProvider provider = signedProvider(() -> AwsCredentialsIdentity.create(ACCESS_KEY, SECRET));
        fake.enqueue(FakeBedrock.error(429, "ThrottlingException", "Too many requests, please wait."),
                     FakeBedrock.error(503, "ServiceUnavailableException", "Service is unavailable."),
                     FakeBedrock.error(400, "ValidationException", "temperature: must be at most 1"),
                     FakeBedrock.error(400, "ValidationException", "Input is too long for requested model."),
                     FakeBedrock.error(403, "AccessDeniedException", "You don't have access to the model."),
                     FakeBedrock.error(424, "ModelErrorException", "The model failed."),
                     FakeBedrock.error(404, "ResourceNotFoundException", "Model not found."));
        List<FailureKind> kinds = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            kinds.add(assertThrows(ProviderException.class, () -> provider.complete(call(hello())))
                              .failure().kind());
        }
        assertThat(kinds, contains(FailureKind.RATE_LIMITED, FailureKind.SERVER_ERROR, FailureKind.BAD_REQUEST,
                                   FailureKind.CONTEXT_LENGTH, FailureKind.AUTH, FailureKind.SERVER_ERROR,
                                   FailureKind.NOT_FOUND));
    }

    @Test
    void liveCheckListsModelsAndInferenceProfilesWithoutGenerating() throws Exception {
        BedrockProvider provider = signedProvider(() -> AwsCredentialsIdentity.create(ACCESS_KEY, SECRET));
        ModelListing listing = provider.listModels(Optional.empty(), Duration.ofSeconds(5));
        assertThat(listing.lists(MODEL), is(Optional.of(true)));
        assertThat(listing.lists("us." + MODEL), is(Optional.of(true)));
        assertThat(listing.lists("mistral.unknown-v1:0"), is(Optional.of(false)));
        assertThat(fake.requests().stream().map(FakeBedrock.Received::method).toList(), contains("GET", "GET"));
        assertThat(fake.requests().get(1).rawQuery(), is("maxResults=1000"));
    }

    @Test
    void afterA404ForTheListAnEmptyConverseRequestTellsAWrongPathFromAControlPlaneElsewhere() throws Exception {
        Supplier<AwsCredentialsIdentity> credentials = () -> AwsCredentialsIdentity.create(ACCESS_KEY, SECRET);
        signedProvider(credentials);
        // The runtime where the config says, the control plane's list not there (a VPC endpoint for the runtime only).
        ProviderConfig runtimeOnly = config(fake.baseUrl());
        BedrockProvider controlElsewhere = new BedrockProvider(runtimeOnly, new BedrockSettings(
                "us-east-1", BedrockSettings.Auth.SIGV4, Optional.empty(),
                Optional.of(URI.create(fake.baseUrl() + "/no-control-plane"))), Clock.systemUTC(), credentials);
        // Nothing Bedrock-like at the configured path.
        ProviderConfig wrongPath = config(URI.create(fake.baseUrl() + "/wrong"));
        BedrockProvider wrong = new BedrockProvider(wrongPath, sigv4(), Clock.systemUTC(), credentials);

        assertThat(controlElsewhere.chatEndpointStatus(Optional.empty(), LIVENESS), is(Optional.of(400)));
        assertThat(wrong.chatEndpointStatus(Optional.empty(), LIVENESS), is(Optional.of(404)));
        assertThat("the probe was signed as a call is, and nothing was generated",
                   fake.requests().stream().map(r -> r.method() + " " + r.rawPath()).toList(),
                   contains("POST /model/hedgerow-probe/converse", "POST /wrong/model/hedgerow-probe/converse"));

        // As the live check judges them: a list that could not be read, and a rung that cannot serve.
        CheckResult elsewhere = Preflight.run(List.of(Target.of(runtimeOnly, Optional.empty())),
                                              Map.of(runtimeOnly.name(), controlElsewhere), LIVENESS, Ticker.system(),
                                              Clock.systemUTC()).getFirst();
        assertThat(elsewhere.verdict(), is(Verdict.ERROR));
        assertThat(elsewhere.detail(), containsString("(its chat endpoint answers: 400 to an empty request)"));
        CheckResult nothing = Preflight.run(List.of(Target.of(wrongPath, Optional.empty())),
                                            Map.of(wrongPath.name(), wrong), LIVENESS, Ticker.system(),
                                            Clock.systemUTC()).getFirst();
        assertThat(nothing.detail(), nothing.verdict(), is(Verdict.NOT_FOUND));
        assertThat(nothing.verdict().fatal(), is(true));
        assertThat(nothing.detail(), containsString("404 for the list of models and 404 for a chat request"));
    }

    @Test
    void aBedrockApiKeyIsSentAsABearerToken() throws Exception {
        fake = FakeBedrock.withApiKey(BEDROCK_KEY.value());
        BedrockProvider provider = provider(new BedrockSettings("us-east-1", BedrockSettings.Auth.API_KEY,
                                                                Optional.empty(), Optional.empty()),
                                            () -> {
                                                throw new AssertionError("no AWS credentials in api-key mode");
                                            });
        assertThat(provider.complete(new ProviderCall(hello(), MODEL, Optional.of(BEDROCK_KEY))).message().text(),
                   is("Hello from Bedrock."));
        assertThat(provider.listModels(Optional.of(BEDROCK_KEY), Duration.ofSeconds(5)).lists(MODEL),
                   is(Optional.of(true)));
        ApiKey wrong = ApiKey.of("old", "ABSKrevoked");
        ProviderException e = assertThrows(ProviderException.class,
                                           () -> provider.complete(new ProviderCall(hello(), MODEL, Optional.of(wrong))));
        assertThat(e.failure().kind(), is(FailureKind.AUTH));
        assertThat(e.failure().message(), not(containsString("ABSK")));
    }

    @Test
    void missingCredentialsAreAnAuthFailure() {
        fake = FakeBedrock.signed(new SigV4Verifier(ACCESS_KEY, SECRET, Optional.empty(), "us-east-1", "bedrock"));
        BedrockProvider provider = provider(sigv4(), () -> {
            throw new IllegalStateException("Unable to load credentials from any of the providers in the chain");
        });
        ProviderException e = assertThrows(ProviderException.class, () -> provider.complete(call(hello())));
        assertThat(e.failure().kind(), is(FailureKind.AUTH));
        assertThat(e.failure().message(), containsString("no AWS credentials"));
        assertThat(fake.requests(), is(empty()));
    }

    private BedrockProvider signedProvider(Supplier<AwsCredentialsIdentity> credentials) {
        Optional<String> token = credentials.get() instanceof AwsSessionCredentialsIdentity s
                ? Optional.of(s.sessionToken()) : Optional.empty();
        fake = FakeBedrock.signed(new SigV4Verifier(ACCESS_KEY, SECRET, token, "us-east-1", "bedrock"));
        return provider(sigv4(), credentials);
    }

    private BedrockProvider provider(BedrockSettings settings, Supplier<AwsCredentialsIdentity> credentials) {
        return new BedrockProvider(config(fake.baseUrl()), settings, Clock.systemUTC(), credentials);
    }

    private static ProviderConfig config(URI baseUrl) {
        return new ProviderConfig("bedrock", ProviderType.BEDROCK, Optional.of(baseUrl), List.of(), Map.of(), Map.of(),
                                  Timeouts.DEFAULTS, SimSettings.DEFAULTS);
    }

    private static BedrockSettings sigv4() {
        return new BedrockSettings("us-east-1", BedrockSettings.Auth.SIGV4, Optional.empty(), Optional.empty());
    }

    private static ProviderCall call(ChatRequest request) {
        return new ProviderCall(request, MODEL, Optional.empty());
    }

    private static ChatRequest hello() {
        return request(Message.text(Role.USER, "Hello"));
    }

    private static ChatRequest request(Message... messages) {
        return new ChatRequest("route", List.of(messages), List.of(), Optional.empty(),
                               ChatRequest.Sampling.defaults(), false, false, Map.of());
    }

    private static void drain(ChatStream stream) throws ProviderException {
        while (stream.next().isPresent()) {
            // read to the failure
        }
    }
}

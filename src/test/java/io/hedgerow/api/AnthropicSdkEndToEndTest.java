package io.hedgerow.api;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.BadRequestException;
import com.anthropic.errors.NotFoundException;
import com.anthropic.errors.OverloadedException;
import com.anthropic.errors.RateLimitException;
import com.anthropic.errors.SseException;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Base64ImageSource;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolChoiceTool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlock;
import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.HedgerowServer;
import io.hedgerow.config.CandidateRef;
import io.hedgerow.config.ClientAccess;
import io.hedgerow.config.ClientKey;
import io.hedgerow.config.RecoverySettings;
import io.hedgerow.config.RouteConfig;
import io.hedgerow.fakes.FakeAnthropic;
import io.hedgerow.fakes.FakeBedrock;
import io.hedgerow.fakes.FakeOllama;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.Scrape;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.hedgerow.fakes.FakeOpenAi.call;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official Anthropic Java SDK as the client of {@code /v1/messages}, Hedgerow in the middle, and behind it fake
 * Anthropic, OpenAI, Ollama and Bedrock servers speaking their real wire formats: plain and streamed answers (the SDK's
 * accumulator rebuilds the message), a tool round trip, thinking and its signatures, images, typed errors before and
 * after a stream started, and token counting. Each test checks what the SDK got and what the upstream received in its
 * own dialect.
 */
class AnthropicSdkEndToEndTest {
    private static final String BEDROCK_MODEL = "us.anthropic.claude-up-v1:0";

    private static FakeAnthropic claude;
    private static FakeOpenAi openai;
    private static FakeOllama ollama;
    private static FakeBedrock bedrock;
    private static HedgerowServer router;
    private static AnthropicClient client;

    /** One route per upstream dialect. */
    enum Upstream {
        ANTHROPIC("claude"), OPENAI("gpt"), OLLAMA("llama"), BEDROCK("bedrock");

        final String route;

        Upstream(String route) {
            this.route = route;
        }
    }

    @BeforeAll
    static void start() {
        claude = FakeAnthropic.start();
        openai = FakeOpenAi.start();
        ollama = FakeOllama.start();
        bedrock = FakeBedrock.withApiKey(TestConfig.defaultKey("aws"));
        router = HedgerowServer.start(TestConfig.builder()
                                              .anthropic("anthropic", claude.baseUrl().toString())
                                              .openAi("openai", openai.baseUrl())
                                              // nothing here is about timeouts: room for a loaded machine (a
                                              // 5 s first-token limit ran out once at load 25)
                                              .ollama("ollama", ollama.baseUrl().toString(),
                                                      p -> p.firstToken(Duration.ofSeconds(30))
                                                              .idle(Duration.ofSeconds(30))
                                                              .total(Duration.ofSeconds(60)))
                                              .bedrock("aws", bedrock.baseUrl().toString(), "us-east-1")
                                              // its own provider (and key), so the errors it is made to hit
                                              // cool down nothing the other tests use
                                              .anthropic("anthropic-busy", claude.baseUrl().toString())
                                              .anthropic("anthropic-full", claude.baseUrl().toString())
                                              .anthropic("anthropic-fragile", claude.baseUrl().toString())
                                              .openAi("openai-fragile", openai.baseUrl())
                                              .route("claude", "anthropic/claude-up")
                                              .route("gpt", "openai/gpt-up")
                                              .route("llama", "ollama/llama-up")
                                              .route("bedrock", "aws/" + BEDROCK_MODEL)
                                              .route("busy", "anthropic-busy/claude-up")
                                              .route("full", "anthropic-full/claude-up")
                                              .route("mixed", "openai/gpt-up", "anthropic/claude-up")
                                              .route(withoutRecovery("fragile-claude", "anthropic-fragile",
                                                                     "claude-up"))
                                              .route(withoutRecovery("fragile-gpt", "openai-fragile", "gpt-up"))
                                              .build());
        client = AnthropicOkHttpClient.builder()
                .baseUrl("http://127.0.0.1:" + router.port())
                .apiKey("test-key")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(15))
                .build();
    }

    /** A one-candidate route that does not resume a broken stream: the break reaches the client. */
    private static RouteConfig withoutRecovery(String alias, String provider, String model) {
        return new RouteConfig(alias, List.of(new CandidateRef(provider, model)), Optional.empty(), Optional.empty(),
                               false, Optional.empty(), Optional.of(RecoverySettings.OFF));
    }

    @AfterAll
    static void stop() {
        client.close();
        router.close();
        claude.close();
        openai.close();
        ollama.close();
        bedrock.close();
    }

    @BeforeEach
    void reset() {
        openai.reset();
    }

    private static void answerText(Upstream upstream, String text) {
        switch (upstream) {
        case ANTHROPIC -> claude.enqueue(FakeAnthropic.Answer.text(text).usage(11, 3));
        case OPENAI -> openai.enqueue(Reply.text(text.substring(0, 3), text.substring(3)).usage(11, 3));
        case OLLAMA -> ollama.answerNext(FakeOllama.Answer.text(text.substring(0, 3), text.substring(3))
                                                 .withUsage(11, 3));
        case BEDROCK -> bedrock.enqueue(FakeBedrock.answer().text(text).usage(11, 3));
        }
    }

    /** The body the upstream of this dialect received last. */
    private static JsonNode received(Upstream upstream) {
        return switch (upstream) {
            case ANTHROPIC -> claude.lastRequest().body();
            case OPENAI -> openai.exchanges().getLast().body();
            case OLLAMA -> ollama.lastReceived().body();
            case BEDROCK -> bedrock.lastRequest().json();
        };
    }

    /** The model the upstream was asked for (Bedrock names it in the path). */
    private static String upstreamModel(Upstream upstream) {
        return upstream == Upstream.BEDROCK ? bedrock.lastRequest().modelId().orElseThrow()
                : received(upstream).path("model").asText();
    }

    /** Whether the upstream was asked for a stream (Bedrock: its ConverseStream operation). */
    private static boolean upstreamStreamed(Upstream upstream) {
        return upstream == Upstream.BEDROCK ? bedrock.lastRequest().rawPath().endsWith("/converse-stream")
                : received(upstream).path("stream").asBoolean();
    }

    private static MessageCreateParams.Builder params(String route) {
        return MessageCreateParams.builder().model(route).maxTokens(256);
    }

    @ParameterizedTest
    @EnumSource(Upstream.class)
    void plainAnswer(Upstream upstream) {
        answerText(upstream, "Hello there");

        Message message = client.messages().create(params(upstream.route).system("Be brief.")
                                                           .addUserMessage("Hi").build());

        assertEquals("Hello there", message.content().getFirst().text().orElseThrow().text());
        assertEquals(Optional.of(StopReason.END_TURN), message.stopReason());
        assertEquals(11, message.usage().inputTokens());
        assertEquals(3, message.usage().outputTokens());
        assertEquals(switch (upstream) {
            case ANTHROPIC -> "claude-up";
            case OPENAI -> "gpt-up";
            case OLLAMA -> "llama-up";
            case BEDROCK -> BEDROCK_MODEL;
        }, upstreamModel(upstream));
        String all = received(upstream).toString();
        assertThat(all, containsString("Be brief."));
        assertThat(all, containsString("Hi"));
    }

    @ParameterizedTest
    @EnumSource(Upstream.class)
    void streamedAnswerIsRebuiltByTheSdksAccumulator(Upstream upstream) {
        answerText(upstream, "Streaming works fine");

        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(
                params(upstream.route).addUserMessage("Stream, please").build())) {
            stream.stream().forEach(accumulator::accumulate);
        }
        Message message = accumulator.message();

        assertEquals("Streaming works fine", message.content().getFirst().text().orElseThrow().text());
        assertEquals(Optional.of(StopReason.END_TURN), message.stopReason());
        assertEquals(3, message.usage().outputTokens());
        assertTrue(upstreamStreamed(upstream), "the upstream was asked for a stream");
    }

    @ParameterizedTest
    @EnumSource(Upstream.class)
    void toolsRoundTrip(Upstream upstream) {
        String input = "{\"city\":\"Oslo\",\"days\":2}";
        switch (upstream) {
        case ANTHROPIC -> claude.enqueue(FakeAnthropic.answer().thenText("Let me check.")
                                                 .toolUse("toolu_01", "get_weather", input));
        case OPENAI -> openai.enqueue(Reply.toolCalls(call("call_01", "get_weather", "{\"city\":", "\"Oslo\",",
                                                           "\"days\":2}")));
        case OLLAMA -> ollama.answerNext(FakeOllama.Answer.toolCalls(
                FakeOllama.FakeCall.of("get_weather", input).withId("call_01")));
        case BEDROCK -> bedrock.enqueue(FakeBedrock.answer().text("Let me check.")
                                                .toolUse("tooluse_01", "get_weather", input));
        }
        Tool weather = Tool.builder().name("get_weather").description("Weather for a city")
                .inputSchema(Tool.InputSchema.builder()
                                     .properties(JsonValue.from(Map.of("city", Map.of("type", "string"),
                                                                       "days", Map.of("type", "integer"))))
                                     .required(List.of("city")).build())
                .build();
        MessageCreateParams first = params(upstream.route).addTool(weather)
                .toolChoice(ToolChoiceTool.builder().name("get_weather").build())
                .addUserMessage("Weather in Oslo?").build();

        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(first)) {
            stream.stream().forEach(accumulator::accumulate);
        }
        Message message = accumulator.message();

        assertEquals(Optional.of(StopReason.TOOL_USE), message.stopReason());
        ToolUseBlock use = message.content().stream().filter(ContentBlock::isToolUse).findFirst().orElseThrow()
                .toolUse().orElseThrow();
        assertEquals("get_weather", use.name());
        assertEquals(Map.of("city", "Oslo", "days", 2), use._input().convert(Map.class));
        assertTrue(use.id().matches("[a-zA-Z0-9_-]+"), use.id());
        JsonNode sent = received(upstream);
        assertThat(sent.toString(), containsString("get_weather"));
        assertThat(sent.toString(), containsString("Weather for a city"));

        answerText(upstream, "Sunny, 2 days");
        Message second = client.messages().create(params(upstream.route).addTool(weather)
                .addUserMessage("Weather in Oslo?")
                .addMessage(message)
                .addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofToolResult(
                        ToolResultBlockParam.builder().toolUseId(use.id()).content("sunny").build())))
                .build());

        assertEquals("Sunny, 2 days", second.content().getFirst().text().orElseThrow().text());
        String followUp = received(upstream).toString();
        assertThat(followUp, containsString(use.id().equals("toolu_01") || upstream != Upstream.OLLAMA
                ? use.id() : "sunny"));
        assertThat(followUp, containsString("sunny"));
    }

    @Test
    void thinkingFromAnthropicKeepsItsSignatureAndReasoningFromOthersIsShownAsThinking() {
        claude.enqueue(FakeAnthropic.answer().thenThinking("Let me think.").thenText("42"));
        Message relayed = client.messages().create(params("claude").enabledThinking(1024).maxTokens(2048)
                                                           .addUserMessage("Answer?").build());
        assertEquals("Let me think.", relayed.content().get(0).thinking().orElseThrow().thinking());
        assertEquals("sig-fake", relayed.content().get(0).thinking().orElseThrow().signature());
        assertEquals("42", relayed.content().get(1).text().orElseThrow().text());
        assertEquals(1024, claude.lastRequest().body().path("thinking").path("budget_tokens").asInt());

        openai.enqueue(Reply.text("42").reasoning("Thinking ", "hard."));
        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(
                params("gpt").enabledThinking(1024).maxTokens(2048).addUserMessage("Answer?").build())) {
            stream.stream().forEach(accumulator::accumulate);
        }
        Message translated = accumulator.message();
        assertEquals("Thinking hard.", translated.content().get(0).thinking().orElseThrow().thinking());
        assertEquals("42", translated.content().get(1).text().orElseThrow().text());
    }

    @Test
    void streamedThinkingKeepsItsSignatureAndGoesBackToAnthropicAsItCame() {
        claude.enqueue(FakeAnthropic.answer().thenThinking("Let me think.").thenText("42"));
        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(
                params("claude").enabledThinking(1024).maxTokens(2048).addUserMessage("Answer?").build())) {
            stream.stream().forEach(accumulator::accumulate);
        }
        Message first = accumulator.message();
        // The block starts with an empty signature; only the relayed signature_delta fills it in.
        assertEquals("sig-fake", first.content().get(0).thinking().orElseThrow().signature());
        assertEquals("Let me think.", first.content().get(0).thinking().orElseThrow().thinking());

        answerText(Upstream.ANTHROPIC, "Because.");
        client.messages().create(params("claude").enabledThinking(1024).maxTokens(2048)
                                         .addUserMessage("Answer?").addMessage(first).addUserMessage("Why?").build());
        JsonNode history = claude.lastRequest().body().at("/messages/1/content/0");
        assertEquals("thinking", history.path("type").asText(), history.toString());
        assertEquals("Let me think.", history.path("thinking").asText());
        assertEquals("sig-fake", history.path("signature").asText());
    }

    @Test
    void thinkingShownFromAnotherDialectIsNotSentToAnthropicWhichWouldRefuseItsMissingSignature() {
        // Turn one is served by an OpenAI-compatible provider: its reasoning is shown as unsigned thinking.
        openai.enqueue(Reply.toolCalls(call("call_7", "get_weather", "{\"city\":\"Oslo\"}")).reasoning("Look it up."));
        Tool weather = Tool.builder().name("get_weather")
                .inputSchema(Tool.InputSchema.builder()
                                     .properties(JsonValue.from(Map.of("city", Map.of("type", "string")))).build())
                .build();
        Message first = client.messages().create(params("gpt").enabledThinking(1024).maxTokens(2048).addTool(weather)
                                                         .addUserMessage("Weather in Oslo?").build());
        assertEquals("", first.content().get(0).thinking().orElseThrow().signature());
        ToolUseBlock use = first.content().get(1).toolUse().orElseThrow();

        // Turn two goes to Anthropic (a fallback, or the client switching models) in the middle of the tool loop.
        answerText(Upstream.ANTHROPIC, "Sunny.");
        Message second = client.messages().create(params("claude").enabledThinking(1024).maxTokens(2048)
                .addTool(weather).addUserMessage("Weather in Oslo?").addMessage(first)
                .addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofToolResult(
                        ToolResultBlockParam.builder().toolUseId(use.id()).content("sunny").build())))
                .build());

        assertEquals("Sunny.", second.content().getFirst().text().orElseThrow().text());
        JsonNode sent = claude.lastRequest().body();
        assertEquals("tool_use", sent.at("/messages/1/content/0/type").asText(), sent.toString());
        assertEquals(use.id(), sent.at("/messages/1/content/0/id").asText());
        // Without its thinking block that turn could not continue with thinking on: Anthropic is asked without it.
        assertTrue(sent.path("thinking").isMissingNode(), sent.toString());
        assertEquals("get_weather", sent.at("/tools/0/name").asText());
    }

    @Test
    void aStreamThatBreaksAfterItStartedEndsWithAnErrorEventTheSdkRaises() {
        // Relayed from Anthropic, which reports the failure in its own error event.
        claude.enqueue(FakeAnthropic.answer().text("A long answer in pieces").pieceSize(4)
                               .errorAfterDeltas(2, "overloaded_error", "Overloaded"));
        MessageAccumulator relayed = MessageAccumulator.create();
        SseException upstreamError = assertThrows(SseException.class, () -> {
            try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(
                    params("fragile-claude").addUserMessage("Go").build())) {
                stream.stream().forEach(relayed::accumulate);
            }
        });
        assertThat(upstreamError.getMessage(), containsString("Overloaded"));

        // Translated from an OpenAI stream that is cut: Hedgerow writes the error event itself.
        openai.enqueue(Reply.text("A lo", "ng a", "nswer", " in p", "ieces").cutAfter(2));
        SseException cut = assertThrows(SseException.class, () -> {
            try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(
                    params("fragile-gpt").addUserMessage("Go").build())) {
                stream.stream().forEach(event -> { });
            }
        });
        assertThat(cut.getMessage(), containsString("the answer was interrupted"));

        // On the wire: "event: error" after the content, no message_stop after it.
        openai.enqueue(Reply.text("A lo", "ng a", "nswer", " in p", "ieces").cutAfter(2));
        try (RawClient raw = new RawClient(router.port())) {
            HttpResponse<String> response = raw.post("/v1/messages", """
                    {"model":"fragile-gpt","max_tokens":100,"stream":true,
                     "messages":[{"role":"user","content":"Go"}]}""", Map.of());
            assertEquals(200, response.statusCode());
            String body = response.body();
            assertThat(body, containsString("event: content_block_delta"));
            int error = body.indexOf("event: error\n");
            assertTrue(error > body.indexOf("event: content_block_delta"), body);
            assertTrue(body.indexOf("event: message_stop") < 0, body);
            assertEquals("error", RawClient.json(RawClient.SseStream.parse(body).getLast()).path("type").asText());
        }
    }

    @Test
    void parallelCallsWhosePiecesInterleaveAreRebuiltWholeByTheSdk() {
        String chunk = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-up\","
                + "\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":%s}]}\n\n";
        String call = "{\"tool_calls\":[{\"index\":%d%s,\"function\":{%s\"arguments\":%s}}]}";
        StringBuilder sse = new StringBuilder();
        sse.append(chunk.formatted(call.formatted(0, ",\"id\":\"call_a\",\"type\":\"function\"",
                                                  "\"name\":\"get_weather\",", "\"\""), "null"));
        sse.append(chunk.formatted(call.formatted(1, ",\"id\":\"call_b\",\"type\":\"function\"",
                                                  "\"name\":\"get_weather\",", "\"\""), "null"));
        sse.append(chunk.formatted(call.formatted(0, "", "", "\"{\\\"city\\\":\""), "null"));
        sse.append(chunk.formatted(call.formatted(1, "", "", "\"{\\\"city\\\":\""), "null"));
        sse.append(chunk.formatted(call.formatted(1, "", "", "\"\\\"Rome\\\"}\""), "null"));
        sse.append(chunk.formatted(call.formatted(0, "", "", "\"\\\"Oslo\\\"}\""), "null"));
        sse.append(chunk.formatted("{}", "\"tool_calls\""));
        sse.append("data: [DONE]\n\n");
        openai.enqueue(Reply.raw(200, "text/event-stream", sse.toString()));

        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(
                params("gpt").addUserMessage("Weather in Oslo and Rome?").build())) {
            stream.stream().forEach(accumulator::accumulate);
        }
        List<ToolUseBlock> uses = accumulator.message().content().stream().filter(ContentBlock::isToolUse)
                .map(b -> b.toolUse().orElseThrow()).toList();
        assertEquals(2, uses.size());
        assertEquals(Map.of("city", "Oslo"), uses.get(0)._input().convert(Map.class));
        assertEquals(Map.of("city", "Rome"), uses.get(1)._input().convert(Map.class));
        assertEquals(List.of("call_a", "call_b"), uses.stream().map(ToolUseBlock::id).toList());
    }

    @Test
    void imagesReachEachDialectInItsOwnForm() {
        String png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==";
        List<ContentBlockParam> content = List.of(
                ContentBlockParam.ofImage(Base64ImageSource.builder().data(png)
                                                  .mediaType(Base64ImageSource.MediaType.IMAGE_PNG).build()),
                ContentBlockParam.ofText("What is this?"));
        answerText(Upstream.OPENAI, "A pixel");
        client.messages().create(params("gpt").addUserMessageOfContentBlockParams(content).build());
        JsonNode part = openai.exchanges().getLast().body().at("/messages/0/content/0");
        assertEquals("data:image/png;base64," + png, part.at("/image_url/url").asText());

        answerText(Upstream.ANTHROPIC, "A pixel");
        client.messages().create(params("claude").addUserMessageOfContentBlockParams(content).build());
        assertEquals(png, claude.lastRequest().body().at("/messages/0/content/0/source/data").asText());
    }

    @Test
    void errorsAreTypedAsTheSdkKnowsThem() {
        NotFoundException notFound = assertThrows(NotFoundException.class, () -> client.messages().create(
                params("no-such-route").addUserMessage("Hi").build()));
        assertEquals(404, notFound.statusCode());
        assertThat(notFound.getMessage(), containsString("no-such-route"));

        BadRequestException bad = assertThrows(BadRequestException.class, () -> client.messages().create(
                params("claude").putAdditionalBodyProperty("temperature", JsonValue.from(1.5))
                        .addUserMessage("Hi").build()));
        assertThat(bad.getMessage(), containsString("temperature: 1.5"));

        claude.enqueue(FakeAnthropic.error(429, "rate_limit_error", "slow down").header("retry-after", "7"));
        RateLimitException limited = assertThrows(RateLimitException.class, () -> client.messages().create(
                params("busy").addUserMessage("Hi").build()));
        assertEquals(List.of("7"), limited.headers().values("retry-after"));

        claude.enqueue(FakeAnthropic.error(529, "overloaded_error", "Overloaded"));
        OverloadedException overloaded = assertThrows(OverloadedException.class, () -> client.messages().create(
                params("full").addUserMessage("Hi").build()));
        assertEquals(529, overloaded.statusCode());
        assertThat(overloaded.getMessage(), containsString("529 rate limited: Overloaded"));
        assertTrue(overloaded.headers().values("request-id").getFirst().startsWith("req_"));
    }

    @Test
    void malformedRequestsAndUnknownPathsAreAnsweredInAnthropicsShapeAndCountedUnderTheApi() {
        try (RawClient raw = new RawClient(router.port())) {
            HttpResponse<String> broken = raw.post("/v1/messages", "{\"model\":", Map.of());
            assertEquals(400, broken.statusCode());
            JsonNode body = RawClient.json(broken);
            assertEquals("error", body.path("type").asText());
            assertEquals("invalid_request_error", body.at("/error/type").asText());
            assertEquals(broken.headers().firstValue("request-id").orElseThrow(), body.path("request_id").asText());

            HttpResponse<String> unknown = raw.post("/v1/messages/batches", "{}", Map.of());
            assertEquals(404, unknown.statusCode());
            assertEquals("not_found_error", RawClient.json(unknown).at("/error/type").asText());

            answerText(Upstream.ANTHROPIC, "Counted");
            client.messages().create(params("claude").addUserMessage("Hi").build());
            Scrape metrics = new Scrape(raw.get("/observe/metrics").body());
            assertTrue(metrics.sum("hedgerow_route_requests_total", "api", "messages", "outcome", "ok") >= 1);
            assertTrue(metrics.sum("hedgerow_route_requests_total", "api", "messages", "outcome", "invalid_json") >= 1);
        }
    }

    @Test
    void whatOnlyAnthropicCanExpressPassesOverOtherDialectsWithoutACall() {
        answerText(Upstream.ANTHROPIC, "Searched");
        int before = openai.requestCount();
        try (RawClient raw = new RawClient(router.port())) {
            HttpResponse<String> response = raw.post("/v1/messages", """
                    {"model":"mixed","max_tokens":100,"messages":[{"role":"user","content":"News?"}],
                     "tools":[{"type":"web_search_20250305","name":"web_search","max_uses":2}]}""", Map.of());

            assertEquals(200, response.statusCode(), response.body());
            assertEquals(Optional.of("openai/gpt-up#main:skipped (openai speaks the OpenAI API, which cannot express "
                                             + "this request's server tools (web_search_20250305)), "
                                             + "anthropic/claude-up#main:ok"),
                         response.headers().firstValue("x-hedgerow-attempts"));
            assertEquals(before, openai.requestCount());
            assertEquals("web_search_20250305", claude.lastRequest().body().at("/tools/0/type").asText());
        }
    }

    @Test
    void countTokensAsksAnthropicAndEstimatesElsewhere() {
        claude.tokenCount(1234);
        long counted = client.messages().countTokens(MessageCountTokensParams.builder().model("claude")
                                                             .addUserMessage("Count me").build()).inputTokens();
        assertEquals(1234, counted);
        JsonNode sent = claude.countRequests().getLast().body();
        assertEquals("claude-up", sent.path("model").asText());
        assertEquals("Count me", sent.at("/messages/0/content").asText());

        long estimated = client.messages().countTokens(MessageCountTokensParams.builder().model("gpt")
                                                               .addUserMessage("Count me too").build())
                .inputTokens();
        assertTrue(estimated > 0 && estimated < 100, String.valueOf(estimated));
        assertEquals(0, openai.requestCount(), "nothing is generated to count");
    }

    @Test
    void theSdkListsTheRoutesAsModels() {
        List<String> ids = client.models().list().data().stream().map(com.anthropic.models.models.ModelInfo::id)
                .toList();
        assertTrue(ids.containsAll(List.of("claude", "gpt", "llama", "bedrock")), ids.toString());
        com.anthropic.models.models.ModelInfo one = client.models().retrieve("claude");
        assertEquals("claude", one.displayName());
        assertEquals(1970, one.createdAt().getYear());
        assertThrows(NotFoundException.class, () -> client.models().retrieve("no-such-route"));
    }

    @Test
    void clientKeysAreAcceptedAsXApiKey() {
        try (HedgerowServer guarded = HedgerowServer.start(TestConfig.builder()
                                                                   .anthropic("anthropic", claude.baseUrl().toString())
                                                                   .route("claude", "anthropic/claude-up")
                                                                   .access(new ClientAccess(List.of(new ClientKey(
                                                                           "agent", ClientKeys.hash("hr-secret-1"),
                                                                           Optional.empty())), false))
                                                                   .build())) {
            AnthropicClient good = AnthropicOkHttpClient.builder().baseUrl("http://127.0.0.1:" + guarded.port())
                    .apiKey("hr-secret-1").maxRetries(0).build();
            AnthropicClient wrong = AnthropicOkHttpClient.builder().baseUrl("http://127.0.0.1:" + guarded.port())
                    .apiKey("nope").maxRetries(0).build();
            try {
                answerText(Upstream.ANTHROPIC, "Welcome in");
                assertEquals("Welcome in", good.messages().create(params("claude").addUserMessage("Hi").build())
                        .content().getFirst().text().orElseThrow().text());
                assertThat(claude.lastRequest().header("x-api-key").orElse(""), is(TestConfig.defaultKey("anthropic")));
                UnauthorizedException refused = assertThrows(UnauthorizedException.class,
                        () -> wrong.messages().create(params("claude").addUserMessage("Hi").build()));
                assertEquals(401, refused.statusCode());
            } finally {
                good.close();
                wrong.close();
            }
        }
    }
}

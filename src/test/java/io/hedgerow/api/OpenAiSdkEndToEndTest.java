package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.SseException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessage;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionNamedToolChoice;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.chat.completions.ChatCompletionTokenLogprob;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.models.Model;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.hedgerow.fakes.FakeOpenAi.call;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official OpenAI Java SDK as the client, Hedgerow in the middle, a real fake OpenAI server behind it:
 * plain and streamed text, usage, tools (definitions, forced choice, calls streamed in pieces, the follow-up
 * turn with tool results), what answers carry beside the message (logprobs, usage details, the upstream's model and
 * fingerprint, reasoning, refusals) and the simulated provider. Each test checks both what the SDK sees and what the
 * upstream received.
 */
class OpenAiSdkEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WEATHER_SCHEMA = """
            {"type":"object","properties":{"city":{"type":"string","description":"City name"},\
            "unit":{"type":"string","enum":["c","f"]}},"required":["city"],"additionalProperties":false}""";

    private static FakeOpenAi upstream;
    private static HedgerowServer router;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        upstream = FakeOpenAi.start();
        router = HedgerowServer.start(TestConfig.builder()
                                              .openAi("up", upstream.baseUrl())
                                              .sim("sim")
                                              .route("chat", "up/gpt-test")
                                              .route("simulated", "sim/sim-1")
                                              .build());
        client = OpenAIOkHttpClient.builder()
                .baseUrl("http://127.0.0.1:" + router.port() + "/v1")
                .apiKey("test")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(15))
                .build();
    }

    @AfterAll
    static void stop() {
        client.close();
        router.close();
        upstream.close();
    }

    @BeforeEach
    void reset() {
        upstream.reset();
    }

    @Test
    void plainAnswer() throws Exception {
        upstream.enqueue(Reply.text("Hello", ", world").model("gpt-test-2025-01-01").usage(9, 2));

        ChatCompletion completion;
        Map<String, List<String>> headers;
        try (HttpResponseFor<ChatCompletion> response = client.chat().completions().withRawResponse()
                .create(params().addSystemMessage("Be brief.").addUserMessage("Say hello").temperature(0.2)
                                .build())) {
            completion = response.parse();
            headers = response.headers().asMap();
        }

        assertEquals("Hello, world", completion.choices().getFirst().message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, completion.choices().getFirst().finishReason());
        assertEquals("gpt-test-2025-01-01", completion.model());
        CompletionUsage usage = completion.usage().orElseThrow();
        assertEquals(List.of(9L, 2L, 11L), List.of(usage.promptTokens(), usage.completionTokens(),
                                                   usage.totalTokens()));
        assertEquals(List.of("up"), header(headers, "x-hedgerow-provider"));
        assertEquals(List.of("gpt-test"), header(headers, "x-hedgerow-model"));
        assertEquals(List.of("up/gpt-test#main:ok"), header(headers, "x-hedgerow-attempts"));

        FakeOpenAi.Exchange sent = upstream.onlyExchange();
        // Same dialect: the SDK's own bytes go upstream, only the model rewritten to the route's.
        assertEquals("""
                {"messages":[{"content":"Be brief.","role":"system"},{"content":"Say hello","role":"user"}],\
                "model":"gpt-test","temperature":0.2}""", sent.rawBody());
        // The router's own key goes upstream, never the client's.
        assertEquals(Optional.of("Bearer " + TestConfig.defaultKey("up")), sent.header("Authorization"));
    }

    @Test
    void streamedAnswerWithUsage() throws Exception {
        upstream.enqueue(Reply.text("Hel", "lo", ", wor", "ld", "!").usage(12, 5));

        List<ChatCompletionChunk> chunks;
        Map<String, List<String>> headers;
        try (HttpResponseFor<StreamResponse<ChatCompletionChunk>> response = client.chat().completions()
                .withRawResponse().createStreaming(params().addUserMessage("Say hello")
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build());
             StreamResponse<ChatCompletionChunk> stream = response.parse()) {
            headers = response.headers().asMap();
            chunks = stream.stream().toList();
        }

        assertEquals("Hello, world!", text(chunks));
        assertEquals(List.of(ChatCompletionChunk.Choice.FinishReason.STOP), finishReasons(chunks));
        ChatCompletionChunk last = chunks.getLast();
        assertTrue(last.choices().isEmpty(), "the usage chunk has no choices");
        CompletionUsage usage = last.usage().orElseThrow();
        assertEquals(List.of(12L, 5L, 17L), List.of(usage.promptTokens(), usage.completionTokens(),
                                                    usage.totalTokens()));
        assertEquals(1, chunks.stream().filter(c -> c.usage().isPresent()).count());
        assertTrue(chunks.stream().allMatch(c -> c.model().equals("gpt-test")));
        assertEquals(List.of("up"), header(headers, "x-hedgerow-provider"));
        assertThat(header(headers, "content-type").getFirst(), startsWith("text/event-stream"));

        JsonNode sent = upstream.onlyExchange().body();
        assertTrue(sent.path("stream").asBoolean());
        assertTrue(sent.path("stream_options").path("include_usage").asBoolean());
    }

    @Test
    void logprobsUsageDetailsAndTheUpstreamsEnvelopeReachTheSdk() throws Exception {
        upstream.enqueue(Reply.text("Hel", "lo").model("gpt-test-2025-04-14").usage(40, 2).usageDetails(32, 0));

        ChatCompletion completion = client.chat().completions().create(
                params().addUserMessage("Say hello").logprobs(true).topLogprobs(2).build());

        ChatCompletion.Choice choice = completion.choices().getFirst();
        List<ChatCompletionTokenLogprob> tokens = choice.logprobs().orElseThrow().content().orElseThrow();
        assertEquals(List.of("Hel", "lo"), tokens.stream().map(ChatCompletionTokenLogprob::token).toList());
        assertEquals(List.of(-3.1e-6, -0.25), tokens.stream().map(ChatCompletionTokenLogprob::logprob).toList());
        assertEquals(List.of(72L, 101L, 108L), tokens.getFirst().bytes().orElseThrow());
        assertEquals(List.of("lo", "lo~1"), tokens.get(1).topLogprobs().stream()
                .map(ChatCompletionTokenLogprob.TopLogprob::token).toList());
        assertEquals("Hello", choice.message().content().orElseThrow());
        assertFalse(choice.message().refusal().isPresent());
        assertEquals("gpt-test-2025-04-14", completion.model());
        assertEquals(Optional.of(FakeOpenAi.FINGERPRINT), completion.systemFingerprint());
        assertEquals(Optional.of(ChatCompletion.ServiceTier.DEFAULT), completion.serviceTier());
        CompletionUsage usage = completion.usage().orElseThrow();
        assertEquals(Optional.of(32L), usage.promptTokensDetails().orElseThrow().cachedTokens());
        assertEquals(Optional.of(0L), usage.completionTokensDetails().orElseThrow().reasoningTokens());

        JsonNode sent = upstream.onlyExchange().body();
        assertEquals(json("true"), sent.get("logprobs"));
        assertEquals(json("2"), sent.get("top_logprobs"));
    }

    @Test
    void streamedChunksCarryTheirOwnLogprobsTheUpstreamsEnvelopeAndUsageDetails() {
        upstream.enqueue(Reply.text("Hel", "lo", " there").model("gpt-test-2025-04-14").usage(40, 3)
                                 .usageDetails(32, 0));

        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                params().addUserMessage("Say hello").logprobs(true).topLogprobs(1)
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            chunks = stream.stream().toList();
        }

        assertEquals("Hello there", text(chunks));
        List<String> tokens = new ArrayList<>();
        for (ChatCompletionChunk chunk : chunks) {
            assertEquals("gpt-test-2025-04-14", chunk.model(), "every chunk names the model that answered");
            assertEquals(Optional.of(FakeOpenAi.FINGERPRINT), chunk.systemFingerprint());
            for (ChatCompletionChunk.Choice choice : chunk.choices()) {
                String content = choice.delta().content().orElse("");
                List<String> own = choice.logprobs().flatMap(ChatCompletionChunk.Choice.Logprobs::content)
                        .orElse(List.of()).stream().map(ChatCompletionTokenLogprob::token).toList();
                // A chunk carries the logprobs of its own piece, and only those.
                assertEquals(content.isEmpty() ? List.of() : List.of(content), own, chunk::toString);
                tokens.addAll(own);
            }
        }
        assertEquals(List.of("Hel", "lo", " there"), tokens);
        CompletionUsage usage = chunks.getLast().usage().orElseThrow();
        assertEquals(Optional.of(32L), usage.promptTokensDetails().orElseThrow().cachedTokens());
    }

    @Test
    void reasoningReachesTheSdkAsReasoningContentWholeAndStreamed() {
        upstream.enqueue(Reply.text("4").reasoning("Two and two", " make four.").usage(10, 7).usageDetails(0, 5),
                         Reply.text("4").reasoning("Two and two", " make four.").reasoningField("reasoning"));

        ChatCompletion whole = client.chat().completions().create(params().addUserMessage("2 + 2?").build());
        ChatCompletionMessage message = whole.choices().getFirst().message();
        assertEquals("4", message.content().orElseThrow());
        assertEquals("Two and two make four.", message._additionalProperties().get("reasoning_content")
                .convert(String.class));
        assertEquals(Optional.of(5L), whole.usage().orElseThrow().completionTokensDetails().orElseThrow()
                .reasoningTokens());

        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                params().addUserMessage("2 + 2?").build())) {
            chunks = stream.stream().toList();
        }
        // OpenRouter's "reasoning" arrives as the upstream wrote it (same dialect: relayed, not re-encoded), each
        // piece once and before the answer.
        List<String> pieces = new ArrayList<>();
        for (ChatCompletionChunk chunk : chunks) {
            for (ChatCompletionChunk.Choice choice : chunk.choices()) {
                JsonValue reasoning = choice.delta()._additionalProperties().get("reasoning");
                if (reasoning != null) {
                    pieces.add("r:" + reasoning.convert(String.class));
                }
                choice.delta().content().filter(c -> !c.isEmpty()).ifPresent(c -> pieces.add("c:" + c));
            }
        }
        assertEquals(List.of("r:Two and two", "r: make four.", "c:4"), pieces);
    }

    @Test
    void refusalsReachTheSdkWholeAndStreamed() {
        upstream.enqueue(Reply.refusal("I can't ", "help with that."), Reply.refusal("I can't ", "help with that."));

        ChatCompletionMessage refused = client.chat().completions().create(params().addUserMessage("Bad idea").build())
                .choices().getFirst().message();
        assertEquals(Optional.of("I can't help with that."), refused.refusal());
        assertFalse(refused.content().isPresent(), "a refusal has no content");

        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                params().addUserMessage("Bad idea").build())) {
            chunks = stream.stream().toList();
        }
        StringBuilder refusal = new StringBuilder();
        chunks.forEach(chunk -> chunk.choices().forEach(c -> c.delta().refusal().ifPresent(refusal::append)));
        assertEquals("I can't help with that.", refusal.toString());
        assertEquals("", text(chunks));
        assertEquals(List.of(ChatCompletionChunk.Choice.FinishReason.STOP), finishReasons(chunks));
    }

    @Test
    void concurrentStreamsEachGetTheirOwnAnswer() throws Exception {
        upstream.otherwise(Reply.echo());
        int clients = 12;

        List<Future<String>> answers = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < clients; i++) {
                String prompt = "Request " + i + ": Zürich 🚀 日本語 \"quoted\" \\ end";
                answers.add(pool.submit(() -> {
                    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions()
                            .createStreaming(params().addUserMessage(prompt).build())) {
                        return text(stream.stream().toList());
                    }
                }));
            }
            for (int i = 0; i < clients; i++) {
                assertEquals("Request " + i + ": Zürich 🚀 日本語 \"quoted\" \\ end",
                             answers.get(i).get(20, TimeUnit.SECONDS));
            }
        }
        assertEquals(clients, upstream.requestCount());
    }

    @Test
    void longStreamArrivesWholeAndInOrder() {
        String[] pieces = new String[600];
        for (int i = 0; i < pieces.length; i++) {
            pieces[i] = i + (i % 7 == 0 ? "é\n" : " ");
        }
        upstream.enqueue(Reply.text(pieces));

        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions()
                .createStreaming(params().addUserMessage("Count").build())) {
            assertEquals(String.join("", pieces), text(stream.stream().toList()));
        }
    }

    @Test
    void streamedAnswerWithoutUsageWhenNotAsked() {
        upstream.enqueue(Reply.text("one", " two"));

        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions()
                .createStreaming(params().addUserMessage("Count").build())) {
            chunks = stream.stream().toList();
        }

        assertEquals("one two", text(chunks));
        assertTrue(chunks.stream().noneMatch(c -> c.usage().isPresent()), "no usage chunk unless asked for");
        // Upstream usage is always requested (for accounting), whatever the client asked.
        assertTrue(upstream.onlyExchange().body().path("stream_options").path("include_usage").asBoolean());
    }

    @Test
    void toolDefinitionsAndForcedChoiceReachTheUpstreamAndTheCallComesBack() throws Exception {
        String arguments = "{\"city\": \"Zürich\",\n \"unit\":\"c\"}";
        upstream.enqueue(Reply.toolCalls(call("call_Wx81", "get_weather", "{\"city\": \"Zü", "rich\",\n",
                                              " \"unit\":\"c\"}")));

        ChatCompletion completion = client.chat().completions().create(
                params().addUserMessage("Weather in Zürich?")
                        .addTool(weatherTool())
                        .toolChoice(forced("get_weather"))
                        .parallelToolCalls(false)
                        .build());

        ChatCompletion.Choice choice = completion.choices().getFirst();
        assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason());
        assertFalse(choice.message().content().isPresent(), "no text beside the tool call");
        ChatCompletionMessageFunctionToolCall toolCall = choice.message().toolCalls().orElseThrow().getFirst()
                .asFunction();
        assertEquals("call_Wx81", toolCall.id());
        assertEquals("get_weather", toolCall.function().name());
        assertEquals(arguments, toolCall.function().arguments());

        JsonNode sent = upstream.onlyExchange().body();
        assertEquals(json("""
                [{"type":"function","function":{"name":"get_weather","description":"Current weather in a city",
                  "parameters":%s}}]""".formatted(WEATHER_SCHEMA)), sent.get("tools"));
        assertEquals(json("{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}"),
                     sent.get("tool_choice"));
        assertEquals(json("false"), sent.get("parallel_tool_calls"));
    }

    @Test
    void strictFunctionDefinitionStaysStrict() throws Exception {
        upstream.enqueue(Reply.toolCalls(call("call_S", "get_weather", "{\"city\":\"Oslo\"}")));
        ChatCompletionFunctionTool strict = weatherTool().toBuilder()
                .function(weatherTool().function().toBuilder().strict(true).build())
                .build();

        client.chat().completions().create(params().addUserMessage("Oslo?").addTool(strict).build());

        JsonNode function = upstream.onlyExchange().body().path("tools").path(0).path("function");
        assertEquals(json("true"), function.get("strict"), function::toString);
    }

    @Test
    void streamedToolCallsAreReassembledExactly() {
        String first = "{\"city\":\"Paris\",\"unit\":\"c\"}";
        String second = "{\"city\":\"Zürich\", \"note\":\"a \\\"quoted\\\" word\"}";
        upstream.enqueue(Reply.toolCalls(
                call("call_A", "get_weather", "{\"ci", "ty\":\"Par", "is\",\"unit\":\"c\"}"),
                call("call_B", "get_weather", "{\"city\":\"Zü", "rich\", \"note\":\"a \\\"quo", "ted\\\" word\"}")));

        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                params().addUserMessage("Weather in Paris and Zürich?").addTool(weatherTool()).build())) {
            chunks = stream.stream().toList();
        }

        Map<Long, String[]> calls = new TreeMap<>(); // index -> {id, name, arguments}
        for (ChatCompletionChunk chunk : chunks) {
            for (ChatCompletionChunk.Choice choice : chunk.choices()) {
                for (ChatCompletionChunk.Choice.Delta.ToolCall piece : choice.delta().toolCalls().orElse(List.of())) {
                    String[] call = calls.computeIfAbsent(piece.index(), i -> new String[] {null, null, ""});
                    piece.id().ifPresent(id -> call[0] = id);
                    piece.function().flatMap(f -> f.name()).ifPresent(name -> call[1] = name);
                    call[2] += piece.function().flatMap(f -> f.arguments()).orElse("");
                }
            }
        }
        assertEquals(2, calls.size());
        assertEquals(List.of("call_A", "get_weather", first), List.of(calls.get(0L)));
        assertEquals(List.of("call_B", "get_weather", second), List.of(calls.get(1L)));
        assertEquals(List.of(ChatCompletionChunk.Choice.FinishReason.TOOL_CALLS), finishReasons(chunks));
    }

    @Test
    void followUpTurnCarriesToolCallsAndResultsIntact() throws Exception {
        String argsA = "{\"city\": \"Paris\"}";
        String argsB = "{ \"city\" : \"Zürich\", \"unit\": \"c\" }";
        upstream.enqueue(Reply.toolCalls(call("call_A1", "get_weather", argsA), call("call_B2", "get_weather", argsB)),
                         Reply.text("Paris 21°C, Zürich 18°C."));

        ChatCompletionCreateParams.Builder conversation = params()
                .addDeveloperMessage("Use the tools.")
                .addUserMessage("Weather in Paris and Zürich?")
                .addTool(weatherTool());
        ChatCompletionMessage assistant = client.chat().completions().create(conversation.build())
                .choices().getFirst().message();
        conversation.addMessage(assistant)
                .addMessage(ChatCompletionToolMessageParam.builder().toolCallId("call_A1")
                                    .content("{\"temp\":21}").build())
                .addMessage(ChatCompletionToolMessageParam.builder().toolCallId("call_B2")
                                    .content("{\"temp\":18, \"sky\":\"clear\"}").build());
        ChatCompletion answer = client.chat().completions().create(conversation.build());

        assertEquals("Paris 21°C, Zürich 18°C.", answer.choices().getFirst().message().content().orElseThrow());
        assertTrue(upstream.awaitRequests(2, Duration.ofSeconds(5)));
        JsonNode messages = upstream.exchanges().get(1).body().get("messages");
        assertEquals(5, messages.size(), messages::toString);
        assertEquals("developer", messages.get(0).get("role").asText());
        JsonNode calls = messages.get(2);
        assertEquals("assistant", calls.get("role").asText());
        assertEquals(json("""
                [{"id":"call_A1","type":"function","function":{"name":"get_weather","arguments":%s}},
                 {"id":"call_B2","type":"function","function":{"name":"get_weather","arguments":%s}}]"""
                                  .formatted(JSON.writeValueAsString(argsA), JSON.writeValueAsString(argsB))),
                     calls.get("tool_calls"));
        assertEquals(json("{\"role\":\"tool\",\"tool_call_id\":\"call_A1\",\"content\":\"{\\\"temp\\\":21}\"}"),
                     messages.get(3));
        assertEquals(json("""
                {"role":"tool","tool_call_id":"call_B2","content":"{\\"temp\\":18, \\"sky\\":\\"clear\\"}"}"""),
                     messages.get(4));
    }

    @Test
    void simulatedRouteAnswersPlainStreamedAndWithTools() {
        ChatCompletion plain = client.chat().completions().create(
                ChatCompletionCreateParams.builder().model("simulated").addUserMessage("Hi").build());
        String text = plain.choices().getFirst().message().content().orElseThrow();
        assertEquals("Hedgerow routes this answer from", text);
        assertEquals("sim-1", plain.model());
        assertEquals(5L, plain.usage().orElseThrow().completionTokens());

        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("simulated").addUserMessage("Hi")
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            chunks = stream.stream().toList();
        }
        assertEquals(text, text(chunks));
        assertEquals(5L, chunks.getLast().usage().orElseThrow().completionTokens());

        ChatCompletion tools = client.chat().completions().create(
                ChatCompletionCreateParams.builder().model("simulated").addUserMessage("Weather?")
                        .addTool(weatherTool()).toolChoice(forced("get_weather")).build());
        ChatCompletionMessageFunctionToolCall toolCall = tools.choices().getFirst().message().toolCalls()
                .orElseThrow().getFirst().asFunction();
        assertEquals("get_weather", toolCall.function().name());
        // Arguments of the tool's schema: a string where it asks one, the first value of an enum.
        assertEquals(json("{\"city\":\"sim\",\"unit\":\"c\"}"), json(toolCall.function().arguments()));

        assertEquals(0, upstream.requestCount());
    }

    @Test
    void brokenStreamIsAnErrorForTheSdkNotAShortAnswer() {
        upstream.enqueue(Reply.text("Hel", "lo", " wor", "ld").cutAfter(2));

        StringBuilder received = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions()
                .createStreaming(params().addUserMessage("Say hello").build())) {
            SseException e = assertThrows(SseException.class, () -> stream.stream().forEach(
                    chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(received::append))));
            assertThat(e.getMessage(), containsString("interrupted"));
        }
        assertEquals("Hello", received.toString());
    }

    @Test
    void refusedRequestsAreTypedErrorsForTheSdk() {
        NotFoundException unknown = assertThrows(NotFoundException.class, () -> client.chat().completions().create(
                ChatCompletionCreateParams.builder().model("no-such-route").addUserMessage("Hi").build()));
        assertEquals(Optional.of("model_not_found"), unknown.code());
        assertEquals(Optional.of("model"), unknown.param());
        assertEquals(Optional.of("invalid_request_error"), unknown.type());

        BadRequestException invalid = assertThrows(BadRequestException.class, () -> client.chat().completions()
                .create(params().addUserMessage("Hi").n(3).build()));
        assertEquals(Optional.of("n"), invalid.param());

        upstream.enqueue(Reply.error(400, "invalid_request_error", "context_length_exceeded",
                                     "This model's maximum context length is 128000 tokens."));
        BadRequestException tooLong = assertThrows(BadRequestException.class, () -> client.chat().completions()
                .create(params().addUserMessage("Hi").build()));
        assertEquals(Optional.of("context_length_exceeded"), tooLong.code());
        assertEquals(Optional.of("messages"), tooLong.param());
        assertEquals(1, upstream.requestCount());
    }

    @Test
    void modelsListsTheRoutes() {
        List<String> ids = client.models().list().data().stream().map(Model::id).toList();
        assertThat(ids, containsInAnyOrder("chat", "simulated"));
        assertThat(client.models().retrieve("chat").id(), is("chat"));
    }

    private static ChatCompletionCreateParams.Builder params() {
        return ChatCompletionCreateParams.builder().model("chat");
    }

    private static ChatCompletionFunctionTool weatherTool() {
        FunctionParameters.Builder parameters = FunctionParameters.builder();
        json(WEATHER_SCHEMA).properties().forEach(field -> parameters.putAdditionalProperty(
                field.getKey(), JsonValue.from(JSON.convertValue(field.getValue(), Object.class))));
        return ChatCompletionFunctionTool.builder()
                .function(FunctionDefinition.builder()
                                  .name("get_weather")
                                  .description("Current weather in a city")
                                  .parameters(parameters.build())
                                  .build())
                .build();
    }

    private static ChatCompletionToolChoiceOption forced(String function) {
        return ChatCompletionToolChoiceOption.ofNamedToolChoice(ChatCompletionNamedToolChoice.builder()
                .function(ChatCompletionNamedToolChoice.Function.builder().name(function).build())
                .build());
    }

    private static String text(List<ChatCompletionChunk> chunks) {
        StringBuilder sb = new StringBuilder();
        chunks.forEach(chunk -> chunk.choices().forEach(choice -> choice.delta().content().ifPresent(sb::append)));
        return sb.toString();
    }

    private static List<ChatCompletionChunk.Choice.FinishReason> finishReasons(List<ChatCompletionChunk> chunks) {
        return chunks.stream().flatMap(c -> c.choices().stream())
                .flatMap(c -> c.finishReason().stream()).toList();
    }

    private static List<String> header(Map<String, List<String>> headers, String name) {
        return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                .flatMap(e -> e.getValue().stream()).toList();
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }
}

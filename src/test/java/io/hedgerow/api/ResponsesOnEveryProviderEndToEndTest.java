package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ResponseAccumulator;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseInputItem;
import com.openai.models.responses.ResponseStreamEvent;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeAnthropic;
import io.hedgerow.fakes.FakeBedrock;
import io.hedgerow.fakes.FakeOllama;
import io.hedgerow.fakes.FakeOllama.FakeCall;
import io.hedgerow.testing.SdkClients;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Responses API with the official OpenAI Java SDK, translated for each provider type that does not serve it:
 * Anthropic's Messages API, Ollama's {@code /api/chat} and Bedrock's Converse API, each a real HTTP fake speaking its
 * own wire format. Per provider: a plain answer, a streamed one rebuilt by the SDK's accumulator from typed events
 * numbered without gaps, and a function-call round trip whose second turn ({@code previous_response_id} and a
 * {@code function_call_output}) reaches the provider as its own tool call and tool result.
 */
class ResponsesOnEveryProviderEndToEndTest {
    private static FakeAnthropic claude;
    private static FakeOllama ollama;
    private static FakeBedrock bedrock;
    private static HedgerowServer router;
    private static OpenAIClient client;

    /** One provider type: how to script its answers and where its requests' messages are. */
    enum Provider {
        ANTHROPIC("claude") {
            @Override
            void answerText(String text) {
                claude.enqueue(FakeAnthropic.Answer.text(text).usage(11, 4));
            }

            @Override
            void answerCutShort(String text) {
                claude.enqueue(FakeAnthropic.Answer.text(text).stopReason("max_tokens"));
            }

            @Override
            void answerCall(String id, String name, String arguments) {
                claude.enqueue(FakeAnthropic.answer().toolUse(id, name, arguments));
            }

            @Override
            JsonNode lastMessages() {
                return claude.lastRequest().body().get("messages");
            }

            @Override
            void assertToolTurn(JsonNode messages, String callId, String output) {
                assertEquals("tool_use", messages.at("/1/content/0/type").asText(), messages.toString());
                assertEquals(callId, messages.at("/1/content/0/id").asText());
                assertEquals("Oslo", messages.at("/1/content/0/input/city").asText());
                assertEquals("user", messages.at("/2/role").asText());
                assertEquals("tool_result", messages.at("/2/content/0/type").asText());
                assertEquals(callId, messages.at("/2/content/0/tool_use_id").asText());
                assertTrue(messages.at("/2/content/0").toString().contains(output), messages.toString());
            }
        },
        OLLAMA("ollama") {
            @Override
            void answerText(String text) {
                ollama.answerNext(FakeOllama.Answer.text(text.substring(0, 3), text.substring(3)).withUsage(11, 4));
            }

            @Override
            void answerCutShort(String text) {
                ollama.answerNext(FakeOllama.Answer.text(text).withDoneReason("length"));
            }

            @Override
            void answerCall(String id, String name, String arguments) {
                ollama.answerNext(FakeOllama.Answer.toolCalls(FakeCall.of(name, arguments).withId(id)));
            }

            @Override
            JsonNode lastMessages() {
                return ollama.lastReceived().body().get("messages");
            }

            @Override
            void assertToolTurn(JsonNode messages, String callId, String output) {
                assertEquals("assistant", messages.at("/1/role").asText(), messages.toString());
                assertEquals("get_weather", messages.at("/1/tool_calls/0/function/name").asText());
                assertEquals("Oslo", messages.at("/1/tool_calls/0/function/arguments/city").asText());
                assertEquals("tool", messages.at("/2/role").asText());
                assertEquals(output, messages.at("/2/content").asText());
            }
        },
        BEDROCK("bedrock") {
            @Override
            void answerText(String text) {
                bedrock.enqueue(FakeBedrock.answer().text(text).usage(11, 4));
            }

            @Override
            void answerCutShort(String text) {
                bedrock.enqueue(FakeBedrock.answer().text(text).stopReason("max_tokens"));
            }

            @Override
            void answerCall(String id, String name, String arguments) {
                bedrock.enqueue(FakeBedrock.answer().toolUse(id, name, arguments));
            }

            @Override
            JsonNode lastMessages() {
                return bedrock.lastRequest().json().get("messages");
            }

            @Override
            void assertToolTurn(JsonNode messages, String callId, String output) {
                assertEquals(callId, messages.at("/1/content/0/toolUse/toolUseId").asText(), messages.toString());
                assertEquals("Oslo", messages.at("/1/content/0/toolUse/input/city").asText());
                assertEquals("user", messages.at("/2/role").asText());
                assertEquals(callId, messages.at("/2/content/0/toolResult/toolUseId").asText());
                assertTrue(messages.at("/2/content/0/toolResult").toString().contains(output), messages.toString());
            }
        };

        final String route;

        Provider(String route) {
            this.route = route;
        }

        abstract void answerText(String text);

        /** An answer cut short by the output token limit. */
        abstract void answerCutShort(String text);

        abstract void answerCall(String id, String name, String arguments);

        /** The messages of the last request the provider received, in its own dialect. */
        abstract JsonNode lastMessages();

        /** The second turn's messages: the user's question, the assistant's call, the tool's result. */
        abstract void assertToolTurn(JsonNode messages, String callId, String output);
    }

    @BeforeAll
    static void start() {
        claude = FakeAnthropic.start();
        ollama = FakeOllama.start();
        bedrock = FakeBedrock.withApiKey(TestConfig.defaultKey("aws"));
        router = HedgerowServer.start(TestConfig.builder()
                .anthropic("claude", claude.baseUrl().toString())
                .ollama("ollama", ollama.baseUrl().toString())
                .bedrock("aws", bedrock.baseUrl().toString(), "us-east-1")
                .route("claude", "claude/claude-x")
                .route("ollama", "ollama/llama3")
                .route("bedrock", "aws/anthropic.claude-x")
                .build());
        client = SdkClients.openAi(router.port());
    }

    @AfterAll
    static void stop() {
        client.close();
        router.close();
        claude.close();
        ollama.close();
        bedrock.close();
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void aPlainAnswer(Provider provider) {
        provider.answerText("Hello there");

        Response response = client.responses().create(ResponseCreateParams.builder().model(provider.route)
                .instructions("Be brief.").input("Say hello").maxOutputTokens(40L).build());

        assertTrue(response.id().startsWith("resp_hr"), response.id());
        assertEquals("Hello there", ResponsesSdkEndToEndTest.text(response));
        assertEquals("completed", response.status().orElseThrow().asString());
        assertEquals(11, response.usage().orElseThrow().inputTokens());
        assertEquals(4, response.usage().orElseThrow().outputTokens());
        assertTrue(provider.lastMessages().toString().contains("Say hello"), provider.lastMessages().toString());
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void aStreamedAnswerRebuildsWholeFromNumberedEvents(Provider provider) {
        provider.answerText("Streamed hello");
        List<Map<?, ?>> events = new ArrayList<>();
        ResponseAccumulator accumulator = ResponseAccumulator.create();
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
                ResponseCreateParams.builder().model(provider.route).input("Hi").build())) {
            stream.stream().forEach(event -> {
                accumulator.accumulate(event);
                events.add(event._json().orElseThrow().convert(Map.class));
            });
        }

        assertEquals("Streamed hello", ResponsesSdkEndToEndTest.text(accumulator.response()));
        for (int i = 0; i < events.size(); i++) {
            assertEquals(i, ((Number) events.get(i).get("sequence_number")).intValue(), events.get(i).toString());
        }
        assertEquals("response.created", events.getFirst().get("type"));
        assertTrue(events.stream().anyMatch(e -> "response.output_text.delta".equals(e.get("type"))));
        assertEquals("response.completed", events.getLast().get("type"));
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void anAnswerCutShortByTheLimitIsIncompleteWithItsReason(Provider provider) {
        provider.answerCutShort("Once upon");
        Response whole = client.responses().create(ResponseCreateParams.builder().model(provider.route)
                .input("A long story").maxOutputTokens(2L).build());
        assertEquals("incomplete", whole.status().orElseThrow().asString());
        assertEquals("max_output_tokens", whole.incompleteDetails().orElseThrow().reason().orElseThrow().asString());
        assertEquals("Once upon", ResponsesSdkEndToEndTest.text(whole));

        provider.answerCutShort("Once upon");
        List<String> types = new ArrayList<>();
        ResponseAccumulator accumulator = ResponseAccumulator.create();
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
                ResponseCreateParams.builder().model(provider.route).input("A long story").maxOutputTokens(2L)
                        .build())) {
            stream.stream().forEach(event -> {
                accumulator.accumulate(event);
                types.add(String.valueOf(event._json().orElseThrow().convert(Map.class).get("type")));
            });
        }
        assertEquals("response.incomplete", types.getLast(), types.toString());
        assertEquals("incomplete", accumulator.response().status().orElseThrow().asString());
        assertEquals("Once upon", ResponsesSdkEndToEndTest.text(accumulator.response()));
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void aFunctionCallRoundTrip(Provider provider) {
        provider.answerCall("call_9", "get_weather", "{\"city\":\"Oslo\"}");
        Response asked = client.responses().create(ResponseCreateParams.builder().model(provider.route)
                .input("Weather in Oslo?")
                .addTool(FunctionTool.builder().name("get_weather").description("Weather by city")
                                 .parameters(FunctionTool.Parameters.builder()
                                                     .putAdditionalProperty("type", JsonValue.from("object"))
                                                     .putAdditionalProperty("properties", JsonValue.from(Map.of(
                                                             "city", Map.of("type", "string"))))
                                                     .build())
                                 .strict(false).build())
                .build());
        ResponseFunctionToolCall call = asked.output().stream().flatMap(o -> o.functionCall().stream()).findFirst()
                .orElseThrow(() -> new AssertionError(asked.output().toString()));
        assertEquals("call_9", call.callId());
        assertEquals("get_weather", call.name());
        assertEquals("Oslo", io.hedgerow.testing.RawClient.json(call.arguments()).path("city").asText());

        provider.answerText("Cold in Oslo.");
        Response answered = client.responses().create(ResponseCreateParams.builder().model(provider.route)
                .previousResponseId(asked.id())
                .inputOfResponse(List.of(ResponseInputItem.ofFunctionCallOutput(
                        ResponseInputItem.FunctionCallOutput.builder().callId("call_9").output("-3 C").build())))
                .build());

        assertEquals("Cold in Oslo.", ResponsesSdkEndToEndTest.text(answered));
        JsonNode messages = provider.lastMessages();
        assertEquals(3, messages.size(), messages.toString());
        assertTrue(messages.get(0).toString().contains("Weather in Oslo?"), messages.toString());
        provider.assertToolTurn(messages, "call_9", "-3 C");
    }
}

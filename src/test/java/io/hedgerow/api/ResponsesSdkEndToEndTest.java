package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.helpers.ResponseAccumulator;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseInputItem;
import com.openai.models.responses.ResponseOutputItem;
import com.openai.models.responses.ResponseOutputText;
import com.openai.models.responses.ResponseStreamEvent;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.SdkClients;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.hedgerow.fakes.FakeOpenAi.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Responses API with the official OpenAI Java SDK as the client: translated to Chat Completions for a provider
 * that does not serve it (plain, streamed, reasoning, function-call round trips), the typed events and their
 * sequence numbers, and the responses Hedgerow keeps ({@code GET}, {@code DELETE}, {@code store: false}).
 */
class ResponsesSdkEndToEndTest {
    private static FakeOpenAi upstream;
    private static HedgerowServer router;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        upstream = FakeOpenAi.start();
        router = HedgerowServer.start(TestConfig.builder()
                                              .openAi("up", upstream.baseUrl())
                                              .route("chat", "up/gpt-test")
                                              .build());
        client = SdkClients.openAi(router.port());
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
    void aPlainAnswerTranslatedFromChatCompletions() {
        upstream.enqueue(Reply.text("Hello", ", world").model("gpt-test-2025").usage(9, 2).usageDetails(4, 1));

        Response response = client.responses().create(ResponseCreateParams.builder().model("chat")
                .instructions("Be brief.").input("Say hello").temperature(0.2).maxOutputTokens(50L)
                .metadata(ResponseCreateParams.Metadata.builder().putAdditionalProperty("team", JsonValue.from("a"))
                                  .build())
                .build());

        assertTrue(response.id().startsWith("resp_"), response.id());
        assertEquals("Hello, world", text(response));
        assertEquals("completed", response.status().orElseThrow().asString());
        assertEquals("gpt-test-2025", response.model().asString());
        assertEquals(9, response.usage().orElseThrow().inputTokens());
        assertEquals(4, response.usage().orElseThrow().inputTokensDetails().cachedTokens());
        assertEquals(2, response.usage().orElseThrow().outputTokens());
        assertEquals(1, response.usage().orElseThrow().outputTokensDetails().reasoningTokens());
        assertEquals(Optional.of("Be brief."), response.instructions().flatMap(i -> i.string()));
        JsonNode sent = upstream.onlyExchange().body();
        assertEquals("system", sent.at("/messages/0/role").asText());
        assertEquals("Be brief.", sent.at("/messages/0/content").asText());
        assertEquals("Say hello", sent.at("/messages/1/content").asText());
        assertEquals(0.2, sent.get("temperature").asDouble());
        assertEquals(50, sent.get("max_tokens").asInt());
        assertFalse(sent.has("metadata"), "metadata is kept by Hedgerow, not sent to a chat upstream");
    }

    @Test
    void aStreamedAnswerIsTheTypedEventsInSequenceAndRebuildsWhole() {
        upstream.enqueue(Reply.text("Hel", "lo", "!").reasoning("Think", "ing").usage(7, 5));
        List<String> types = new ArrayList<>();
        ResponseAccumulator accumulator = ResponseAccumulator.create();
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
                ResponseCreateParams.builder().model("chat").input("Hi").build())) {
            stream.stream().forEach(event -> {
                accumulator.accumulate(event);
                types.add(String.valueOf(event._json().orElseThrow().convert(Map.class).get("type")));
            });
        }

        Response response = accumulator.response();
        assertEquals("Hello!", text(response));
        ResponseOutputItem reasoning = response.output().getFirst();
        assertEquals("Thinking", reasoning.reasoning().orElseThrow().summary().getFirst().text());
        assertEquals(5, response.usage().orElseThrow().outputTokens());
        assertEquals(List.of("response.created", "response.in_progress", "response.output_item.added",
                             "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
                             "response.reasoning_summary_text.delta", "response.reasoning_summary_text.done",
                             "response.reasoning_summary_part.done", "response.output_item.done",
                             "response.output_item.added", "response.content_part.added",
                             "response.output_text.delta", "response.output_text.delta", "response.output_text.delta",
                             "response.output_text.done", "response.content_part.done", "response.output_item.done",
                             "response.completed"), types);
    }

    @Test
    void sequenceNumbersCountFromZeroWithoutGaps() {
        upstream.enqueue(Reply.toolCalls(call("call_1", "get_weather", "{\"city\":", "\"Paris\"}")));
        try (RawClient raw = new RawClient(router.port())) {
            HttpResponse<String> response = raw.post("/v1/responses", """
                    {"model":"chat","input":"Weather?","stream":true,"tools":[{"type":"function","name":"get_weather",
                     "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]}""", Map.of());
            assertEquals(200, response.statusCode(), response.body());
            List<JsonNode> events = RawClient.SseStream.parse(response.body()).stream().map(RawClient::json).toList();
            for (int i = 0; i < events.size(); i++) {
                assertEquals(i, events.get(i).path("sequence_number").asInt(), events.get(i).toString());
            }
            JsonNode done = events.stream().filter(e -> e.path("type").asText()
                    .equals("response.function_call_arguments.done")).findFirst().orElseThrow();
            assertEquals("{\"city\":\"Paris\"}", done.path("arguments").asText());
            JsonNode completed = events.getLast();
            assertEquals("response.completed", completed.path("type").asText());
            assertEquals("call_1", completed.at("/response/output/0/call_id").asText());
        }
    }

    @Test
    void aFunctionCallRoundTripContinuesWithPreviousResponseId() {
        upstream.enqueue(Reply.toolCalls(call("call_7", "get_weather", "{\"city\":", " \"Oslo\"}")),
                         Reply.text("Cold in Oslo."));
        ResponseCreateParams first = ResponseCreateParams.builder().model("chat").input("Weather in Oslo?")
                .addTool(FunctionTool.builder().name("get_weather").description("Weather by city")
                                 .parameters(FunctionTool.Parameters.builder()
                                                     .putAdditionalProperty("type", JsonValue.from("object"))
                                                     .putAdditionalProperty("properties", JsonValue.from(Map.of(
                                                             "city", Map.of("type", "string"))))
                                                     .build())
                                 .strict(false).build())
                .build();
        Response asked = client.responses().create(first);
        ResponseFunctionToolCall call = asked.output().getFirst().functionCall().orElseThrow();
        assertEquals("call_7", call.callId());
        assertEquals("get_weather", call.name());
        assertEquals("{\"city\": \"Oslo\"}", call.arguments());

        Response answered = client.responses().create(ResponseCreateParams.builder().model("chat")
                .previousResponseId(asked.id())
                .inputOfResponse(List.of(ResponseInputItem.ofFunctionCallOutput(
                        ResponseInputItem.FunctionCallOutput.builder().callId("call_7").output("-3 C").build())))
                .build());

        assertEquals("Cold in Oslo.", text(answered));
        assertEquals(Optional.of(asked.id()), answered.previousResponseId());
        JsonNode messages = upstream.exchanges().get(1).body().get("messages");
        assertEquals(3, messages.size(), messages.toString());
        assertEquals("Weather in Oslo?", messages.at("/0/content").asText());
        assertEquals("call_7", messages.at("/1/tool_calls/0/id").asText());
        assertEquals("{\"city\": \"Oslo\"}", messages.at("/1/tool_calls/0/function/arguments").asText());
        assertEquals("tool", messages.at("/2/role").asText());
        assertEquals("call_7", messages.at("/2/tool_call_id").asText());
        assertEquals("-3 C", messages.at("/2/content").asText());
    }

    @Test
    void keptResponsesCanBeReadAndDeletedAndStoreFalseKeepsNothing() {
        Response kept = client.responses().create(ResponseCreateParams.builder().model("chat").input("Hi").build());
        Response read = client.responses().retrieve(kept.id());
        assertEquals(kept.id(), read.id());
        assertEquals(text(kept), text(read));

        try (RawClient raw = new RawClient(router.port())) {
            HttpResponse<String> deleted = raw.delete("/v1/responses/" + kept.id());
            assertEquals(200, deleted.statusCode());
            assertTrue(RawClient.json(deleted).path("deleted").asBoolean());
        }
        NotFoundException gone = assertThrows(NotFoundException.class, () -> client.responses().retrieve(kept.id()));
        assertTrue(gone.getMessage().contains("not found"), gone.getMessage());

        Response unkept = client.responses().create(ResponseCreateParams.builder().model("chat").input("Hi")
                                                            .store(false).build());
        assertThrows(NotFoundException.class, () -> client.responses().retrieve(unkept.id()));
        NotFoundException unknown = assertThrows(NotFoundException.class, () -> client.responses().create(
                ResponseCreateParams.builder().model("chat").input("Hi").previousResponseId(unkept.id()).build()));
        assertTrue(unknown.getMessage().contains(unkept.id()), unknown.getMessage());
    }

    @Test
    void badRequestsNameTheField() {
        try (RawClient raw = new RawClient(router.port())) {
            // Every field's own check is FieldValidationTest's; here, that the answer is OpenAI's error shape.
            Map<String, String> params = Map.of(
                    "{\"model\":\"chat\"}", "input",
                    "{\"model\":\"chat\",\"input\":[{\"role\":\"robot\",\"content\":\"x\"}]}", "input[0].role",
                    "{\"model\":\"chat\",\"input\":\"x\",\"temperature\":3}", "temperature",
                    "{\"model\":\"chat\",\"input\":\"x\",\"background\":true}", "background",
                    "{\"model\":\"chat\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"yaml\"}}}", "text.format.type");
            for (Map.Entry<String, String> bad : params.entrySet()) {
                String body = bad.getKey();
                HttpResponse<String> response = raw.post("/v1/responses", body, Map.of());
                assertEquals(400, response.statusCode(), body);
                JsonNode error = RawClient.json(response).get("error");
                assertEquals("invalid_request", error.path("code").asText(), body);
                assertEquals("invalid_request_error", error.path("type").asText(), body);
                assertEquals(bad.getValue(), error.path("param").asText(), body);
                assertTrue(error.path("message").asText().contains(bad.getValue()), error.toString());
            }
            HttpResponse<String> unknown = raw.post("/v1/responses", "{\"model\":\"chat\",\"input\":\"x\","
                    + "\"frobnicate\":true}", Map.of());
            assertEquals(400, unknown.statusCode());
            assertEquals("unsupported_by_route", RawClient.json(unknown).at("/error/code").asText());
            assertTrue(RawClient.json(unknown).at("/error/message").asText().contains("field 'frobnicate'"));
            assertEquals(0, upstream.requestCount());
        }
    }

    /** The text of a response's message items. */
    static String text(Response response) {
        StringBuilder sb = new StringBuilder();
        for (ResponseOutputItem item : response.output()) {
            item.message().ifPresent(m -> m.content().forEach(c -> c.outputText().map(ResponseOutputText::text)
                    .ifPresent(sb::append)));
        }
        return sb.toString();
    }
}

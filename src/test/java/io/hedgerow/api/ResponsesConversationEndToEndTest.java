package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ResponseAccumulator;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeAnthropic;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.hedgerow.fakes.FakeOpenAi.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Responses API across providers: a provider that serves it itself gets the request as written and its answer
 * comes back as produced; a {@code previous_response_id} chain continues on whichever provider serves the next turn,
 * after a failover too; a Codex-shaped request (instructions, many function tools, reasoning, {@code store: false},
 * encrypted reasoning) goes through as written or translated; built-in tools pass over candidates that cannot take
 * them.
 */
class ResponsesConversationEndToEndTest {
    private static FakeOpenAi native_;
    private static FakeOpenAi chat;
    private static FakeAnthropic claude;
    private static HedgerowServer router;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        native_ = FakeOpenAi.start();
        chat = FakeOpenAi.start();
        claude = FakeAnthropic.start();
        router = HedgerowServer.start(TestConfig.builder()
                .openAi("openai", native_.baseUrl(), p -> p.responses())
                .openAi("compat", chat.baseUrl())
                .anthropic("claude", claude.baseUrl().toString())
                .route("native", "openai/gpt-r")
                .route("mixed", "openai/gpt-r", "claude/claude-x")
                .route("codex", "openai/gpt-5-codex", "compat/qwen-coder")
                .route("compat-first", "compat/qwen-coder", "openai/gpt-r")
                .route("compat-only", "compat/qwen-coder")
                .build());
        client = SdkClients.openAi(router.port());
    }

    @AfterAll
    static void stop() {
        client.close();
        router.close();
        native_.close();
        chat.close();
        claude.close();
    }

    @BeforeEach
    void reset() {
        native_.reset();
        chat.reset();
    }

    @Test
    void aResponsesUpstreamGetsTheRequestAsWrittenAndItsAnswerComesBackAsProduced() {
        native_.enqueue(Reply.text("Native", " answer").reasoning("R"));
        String body = "{\"model\": \"native\",  \"input\": \"Hi\", \"reasoning\": {\"effort\": \"low\", "
                + "\"summary\": \"auto\"}, \"include\": [\"reasoning.encrypted_content\"], \"store\": false}";
        try (RawClient raw = new RawClient(router.port())) {
            HttpResponse<String> response = raw.post("/v1/responses", body, Map.of());
            assertEquals(200, response.statusCode(), response.body());
            assertEquals(body.replace("\"native\"", "\"gpt-r\""), native_.onlyExchange().rawBody(),
                         "only the model rewritten, byte for byte");
            JsonNode answer = RawClient.json(response);
            assertEquals("resp_fake0", answer.path("id").asText(), "the upstream's own answer");
            assertEquals("gAAAAfake-encrypted-0", answer.at("/output/0/encrypted_content").asText());
            assertEquals(Optional.of("openai"), response.headers().firstValue("x-hedgerow-provider"));
        }
    }

    @Test
    void aRelayedStreamIsTheUpstreamsEventsAndRebuildsWithTheSdk() {
        native_.enqueue(Reply.toolCalls(call("call_a", "lookup", "{\"q\":", "\"x\"}")).reasoning("Plan"));
        ResponseAccumulator accumulator = ResponseAccumulator.create();
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
                ResponseCreateParams.builder().model("native").input("Find x").build())) {
            stream.stream().forEach(accumulator::accumulate);
        }
        Response response = accumulator.response();
        assertEquals("resp_fake0", response.id());
        assertEquals("Plan", response.output().get(0).reasoning().orElseThrow().summary().getFirst().text());
        assertEquals("{\"q\":\"x\"}", response.output().get(1).functionCall().orElseThrow().arguments());
        assertTrue(native_.onlyExchange().body().path("stream").asBoolean());
    }

    @Test
    void aConversationContinuesAcrossAFailoverAndBack() {
        // Turn 1 on OpenAI's own Responses API.
        native_.enqueue(Reply.text("Paris is the capital."));
        Response first = client.responses().create(ResponseCreateParams.builder().model("mixed")
                .instructions("Answer in one line.").input("Capital of France?").build());
        assertEquals("resp_fake0", first.id());

        // Turn 2: OpenAI is down, Claude takes over with the whole conversation.
        native_.enqueue(Reply.status(503));
        claude.enqueue(FakeAnthropic.Answer.text("About 2.1 million."));
        Response second = client.responses().create(ResponseCreateParams.builder().model("mixed")
                .previousResponseId(first.id()).input("Population?").build());
        assertEquals("About 2.1 million.", ResponsesSdkEndToEndTest.text(second));
        assertTrue(second.id().startsWith("resp_hr"), second.id());
        JsonNode toClaude = claude.lastRequest().body();
        assertFalse(toClaude.has("system"), "instructions of an earlier response are not carried over");
        assertEquals("Capital of France?", toClaude.at("/messages/0/content/0/text").asText(toClaude.at(
                "/messages/0/content").asText()));
        assertEquals("assistant", toClaude.at("/messages/1/role").asText());
        assertTrue(toClaude.at("/messages/1").toString().contains("Paris is the capital."));
        assertTrue(toClaude.at("/messages/2").toString().contains("Population?"));

        // Turn 3: OpenAI is back, and gets the conversation written into its input.
        native_.enqueue(Reply.text("Yes."));
        Response third = client.responses().create(ResponseCreateParams.builder().model("mixed")
                .previousResponseId(second.id()).input("Sure?").build());
        assertEquals("Yes.", ResponsesSdkEndToEndTest.text(third));
        JsonNode toOpenAi = native_.exchanges().getLast().body();
        assertTrue(toOpenAi.get("previous_response_id").isNull());
        JsonNode input = toOpenAi.get("input");
        assertEquals(5, input.size(), input.toString());
        assertEquals("Capital of France?", input.at("/0/content").asText());
        assertEquals("msg_fake0", input.at("/1/id").asText(), "the upstream's own items keep their ids");
        assertEquals("Population?", input.at("/2/content").asText());
        assertFalse(input.get(3).has("id"), "ids Hedgerow made are not sent upstream");
        assertEquals("About 2.1 million.", input.at("/3/content/0/text").asText());
        assertEquals("Sure?", input.at("/4/content").asText());
    }

    @Test
    void aCodexShapedRequestGoesAsWrittenOrTranslatedWithNothingSilentlyLost() {
        StringBuilder tools = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            tools.append(i == 0 ? "" : ",").append("{\"type\":\"function\",\"name\":\"tool_").append(i)
                    .append("\",\"description\":\"Tool ").append(i).append("\",\"strict\":false,\"parameters\":")
                    .append("{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"]}}");
        }
        String body = """
                {"model":"codex","instructions":"You are a coding agent.","store":false,"stream":true,
                 "include":["reasoning.encrypted_content"],"reasoning":{"effort":"high","summary":"auto"},
                 "parallel_tool_calls":false,"tool_choice":"auto","prompt_cache_key":"session-1",
                 "tools":[TOOLS],
                 "input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"Fix the bug"}]},
                  {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Look first"}],
                   "encrypted_content":"gAAAAold"},
                  {"type":"function_call","call_id":"call_1","name":"tool_3","arguments":"{\\"path\\":\\"a.py\\"}"},
                  {"type":"function_call_output","call_id":"call_1","output":"print(1)"}]}"""
                .replace("TOOLS", tools);
        native_.enqueue(Reply.toolCalls(call("call_2", "tool_4", "{\"path\":", "\"b.py\"}")).reasoning("Next"));
        try (RawClient raw = new RawClient(router.port())) {
            HttpResponse<String> asWritten = raw.post("/v1/responses", body, Map.of());
            assertEquals(200, asWritten.statusCode(), asWritten.body());
            assertEquals(body.replace("\"codex\"", "\"gpt-5-codex\""), native_.onlyExchange().rawBody());
            assertTrue(asWritten.body().contains("\"type\":\"response.completed\""));

            // OpenAI down (a 503: a 429 would cool its only key for the other tests): the same request translated
            // for an OpenAI-compatible chat upstream.
            native_.enqueue(Reply.status(503));
            chat.enqueue(Reply.toolCalls(call("call_3", "tool_5", "{\"path\":\"c.py\"}")));
            HttpResponse<String> translated = raw.post("/v1/responses", body, Map.of());
            assertEquals(200, translated.statusCode(), translated.body());
            assertEquals(Optional.of("compat"), translated.headers().firstValue("x-hedgerow-provider"));
            JsonNode sent = chat.onlyExchange().body();
            assertEquals(20, sent.get("tools").size());
            assertEquals("high", sent.get("reasoning_effort").asText());
            assertFalse(sent.get("parallel_tool_calls").asBoolean());
            assertEquals("session-1", sent.get("prompt_cache_key").asText());
            JsonNode messages = sent.get("messages");
            assertEquals(List.of("system", "user", "assistant", "tool"),
                         List.of(messages.at("/0/role").asText(), messages.at("/1/role").asText(),
                                 messages.at("/2/role").asText(), messages.at("/3/role").asText()));
            assertEquals("call_1", messages.at("/2/tool_calls/0/id").asText());
            List<JsonNode> events = RawClient.SseStream.parse(translated.body()).stream().map(RawClient::json)
                    .toList();
            JsonNode completed = events.getLast();
            assertEquals("response.completed", completed.path("type").asText());
            assertEquals("call_3", completed.at("/response/output/0/call_id").asText());
            assertFalse(completed.at("/response/store").asBoolean(true));
        }
    }

    @Test
    void builtInToolsPassOverCandidatesThatCannotTakeThem() {
        native_.enqueue(Reply.text("Searched."));
        String body = "{\"model\":\"compat-first\",\"input\":\"News?\",\"tools\":[{\"type\":\"web_search\"}]}";
        try (RawClient raw = new RawClient(router.port())) {
            HttpResponse<String> served = raw.post("/v1/responses", body, Map.of());
            assertEquals(200, served.statusCode(), served.body());
            assertEquals(Optional.of("compat/qwen-coder#main:skipped (compat speaks the OpenAI API, which cannot "
                                             + "express this request's built-in tools (web_search)), "
                                             + "openai/gpt-r#main:ok"),
                         served.headers().firstValue("x-hedgerow-attempts"));
            assertEquals(0, chat.requestCount());

            HttpResponse<String> refused = raw.post("/v1/responses", body.replace("compat-first", "compat-only"),
                                                    Map.of());
            assertEquals(400, refused.statusCode());
            assertEquals("unsupported_by_route", RawClient.json(refused).at("/error/code").asText());
            assertEquals(0, chat.requestCount());
        }
    }
}

package io.hedgerow.provider.ollama;

import io.hedgerow.config.ApiKey;
import io.hedgerow.fakes.FakeOllama;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.ToolChoice;
import io.hedgerow.model.ToolDefinition;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderException;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.hedgerow.provider.ollama.Fixtures.CLOCK;
import static io.hedgerow.provider.ollama.Fixtures.MODEL;
import static io.hedgerow.provider.ollama.Fixtures.call;
import static io.hedgerow.provider.ollama.Fixtures.config;
import static io.hedgerow.provider.ollama.Fixtures.fails;
import static io.hedgerow.provider.ollama.Fixtures.json;
import static io.hedgerow.provider.ollama.Fixtures.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the adapter sends to Ollama, as the fake server received it. */
class OllamaRequestTest {
    private FakeOllama ollama;
    private OllamaProvider provider;

    @BeforeEach
    void start() {
        ollama = FakeOllama.start();
        provider = Fixtures.provider(ollama.baseUrl());
    }

    @AfterEach
    void stop() {
        ollama.close();
    }

    @Test
    void conversationMapsRolesImagesToolCallsAndToolResults() throws ProviderException {
        List<Message> conversation = List.of(
                Message.text(Role.SYSTEM, "You are terse."),
                Message.text(Role.DEVELOPER, "Answer in French."),
                new Message(Role.USER, List.of(new ContentPart.Text("What is in this picture?"),
                                               new ContentPart.Image("data:image/png;base64,iVBORw0KGgo=", "high"),
                                               new ContentPart.Text("Be brief.")),
                            List.of(), Optional.empty(), Optional.of("alice")),
                new Message(Role.ASSISTANT, List.of(),
                            List.of(new ToolCall("call_a", "get_weather", "{\"city\": \"Paris\", \"units\": \"c\"}"),
                                    new ToolCall("call_b", "get_time", "{\"tz\":\"Europe/Paris\"}")),
                            Optional.empty(), Optional.empty()),
                toolResult("call_a", "18C"),
                toolResult("call_b", "14:05"),
                toolResult("call_unknown", "orphan"));

        provider.complete(call(request(conversation)));

        JsonNode expected = json("""
                {"model": "llama3.2:3b",
                 "messages": [
                   {"role": "system", "content": "You are terse."},
                   {"role": "system", "content": "Answer in French."},
                   {"role": "user", "content": "What is in this picture?\\nBe brief.", "images": ["iVBORw0KGgo="]},
                   {"role": "assistant", "content": "", "tool_calls": [
                     {"id": "call_a", "function": {"name": "get_weather", "arguments": {"city": "Paris", "units": "c"}}},
                     {"id": "call_b", "function": {"name": "get_time", "arguments": {"tz": "Europe/Paris"}}}]},
                   {"role": "tool", "content": "18C", "tool_name": "get_weather", "tool_call_id": "call_a"},
                   {"role": "tool", "content": "14:05", "tool_name": "get_time", "tool_call_id": "call_b"},
                   {"role": "tool", "content": "orphan", "tool_call_id": "call_unknown"}],
                 "stream": false}
                """);
        assertEquals(expected, ollama.lastReceived().body());
    }

    @Test
    void toolsOptionsAndTheOpenAiFieldsOllamaHasAreMapped() throws ProviderException {
        ToolDefinition weather = new ToolDefinition("get_weather", "Current weather for a city",
                Map.of("type", "object",
                       "properties", Map.of("city", Map.of("type", "string")),
                       "required", List.of("city")));
        ChatRequest request = new ChatRequest("alias", List.of(Message.text(Role.USER, "Weather in Oslo?")),
                List.of(weather), Optional.of(new ToolChoice.Required()),
                new ChatRequest.Sampling(Optional.of(0.25), Optional.of(0.9), Optional.of(64), List.of("END", "\n\n")),
                true, true, Map.of("seed", 7, "response_format", Map.of("type", "json_object")));

        provider.complete(call(request));

        JsonNode expected = json("""
                {"model": "llama3.2:3b",
                 "messages": [{"role": "user", "content": "Weather in Oslo?"}],
                 "stream": false,
                 "tools": [{"type": "function", "function": {
                    "name": "get_weather", "description": "Current weather for a city",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                   "required": ["city"]}}}],
                 "format": "json",
                 "options": {"temperature": 0.25, "top_p": 0.9, "num_predict": 64, "stop": ["END", "\\n\\n"],
                             "seed": 7}}
                """);
        assertEquals(expected, ollama.lastReceived().body());
    }

    @Test
    void noSamplingMeansNoOptionsAndStreamSendsStreamTrue() throws ProviderException {
        try (ChatStream stream = provider.stream(Fixtures.hello())) {
            while (stream.next().isPresent()) {
                // drain: the request is what this test is about
            }
        }
        JsonNode body = ollama.lastReceived().body();
        assertTrue(body.get("stream").asBoolean(false), body.toString());
        assertFalse(body.has("options"), body.toString());
        assertFalse(body.has("tools"), body.toString());
    }

    @Test
    void keyIsSentAsBearerAfterConfiguredHeaders() throws ProviderException {
        ApiKey key = ApiKey.of("proxy", "secret-proxy-token");
        OllamaProvider behindProxy = new OllamaProvider(
                config(ollama.baseUrl(), List.of(key), Map.of("X-Team", "search", "Authorization", "wrong"), Map.of()),
                CLOCK);

        behindProxy.complete(new ProviderCall(request(List.of(Message.text(Role.USER, "Hi"))), MODEL,
                                              Optional.of(key)));

        FakeOllama.Received received = ollama.lastReceived();
        assertEquals(Optional.of("Bearer secret-proxy-token"), received.header("Authorization"));
        assertEquals(Optional.of("search"), received.header("X-Team"));
        assertEquals(Optional.of("application/json"), received.header("Content-Type"));
    }

    @Test
    void noKeyNoAuthorization() throws ProviderException {
        provider.complete(Fixtures.hello());
        assertEquals(Optional.empty(), ollama.lastReceived().header("Authorization"));
    }

    @Test
    void roleMapIsAppliedBeforeTranslation() throws ProviderException {
        OllamaProvider mapped = new OllamaProvider(
                config(ollama.baseUrl(), List.of(), Map.of(), Map.of(Role.SYSTEM, Role.USER)), CLOCK);

        mapped.complete(call(request(List.of(Message.text(Role.SYSTEM, "Be nice."), Message.text(Role.USER, "Hi")))));

        assertEquals(json("[{\"role\":\"user\",\"content\":\"Be nice.\"},{\"role\":\"user\",\"content\":\"Hi\"}]"),
                     ollama.lastReceived().body().get("messages"));
    }

    @Test
    void httpImageUrlIsRefusedBeforeSending() {
        Message user = new Message(Role.USER, List.of(new ContentPart.Text("What is this?"),
                                                      new ContentPart.Image("https://example.com/cat.png", "")),
                                   List.of(), Optional.empty(), Optional.empty());

        ProviderException e = fails(() -> provider.complete(call(request(List.of(user)))));

        assertEquals(FailureKind.BAD_REQUEST, e.failure().kind());
        assertTrue(e.failure().message().contains("cannot be sent to Ollama"), e.failure().message());
        assertTrue(ollama.received().isEmpty());
    }

    @Test
    void toolCallArgumentsThatAreNotAJsonObjectAreRefusedNotAltered() {
        for (String arguments : List.of("{\"city\": \"Par", "", "[1, 2]", "{\"a\": 1} trailing", "{\"a\":1,\"a\":2}")) {
            Message assistant = new Message(Role.ASSISTANT, List.of(),
                                            List.of(new ToolCall("call_1", "lookup", arguments)),
                                            Optional.empty(), Optional.empty());

            ProviderException e = fails(() -> provider.stream(call(request(List.of(
                    Message.text(Role.USER, "Look it up"), assistant)))));

            assertEquals(FailureKind.BAD_REQUEST, e.failure().kind(), arguments);
            assertTrue(e.failure().message().contains("call_1"), e.failure().message());
        }
        assertTrue(ollama.received().isEmpty());
    }

    private static Message toolResult(String id, String text) {
        return new Message(Role.TOOL, List.of(new ContentPart.Text(text)), List.of(), Optional.of(id), Optional.empty());
    }
}

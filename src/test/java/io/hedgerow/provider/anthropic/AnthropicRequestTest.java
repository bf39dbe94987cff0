package io.hedgerow.provider.anthropic;

import io.hedgerow.dialect.anthropic.AnthropicFixtures;
import io.hedgerow.config.Timeouts;
import io.hedgerow.fakes.FakeAnthropic;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.ToolChoice;
import io.hedgerow.model.ToolDefinition;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.hedgerow.provider.anthropic.Fixtures.CLOCK;
import static io.hedgerow.dialect.anthropic.AnthropicFixtures.KEY_VALUE;
import static io.hedgerow.dialect.anthropic.AnthropicFixtures.assistant;
import static io.hedgerow.provider.anthropic.Fixtures.call;
import static io.hedgerow.provider.anthropic.Fixtures.config;
import static io.hedgerow.dialect.anthropic.AnthropicFixtures.json;
import static io.hedgerow.provider.anthropic.Fixtures.readAll;
import static io.hedgerow.dialect.anthropic.AnthropicFixtures.toolResult;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the adapter puts on the wire, as the fake Anthropic received it. */
class AnthropicRequestTest {
    private FakeAnthropic fake;
    private AnthropicProvider provider;

    @BeforeEach
    void start() {
        fake = FakeAnthropic.start();
        provider = new AnthropicProvider(config(fake.baseUrl()), CLOCK);
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void conversationWithToolCallsIsSentInAnthropicsShape() throws ProviderException {
        ChatRequest request = new ChatRequest("smart", List.of(
                Message.text(Role.SYSTEM, "You are terse."),
                Message.text(Role.DEVELOPER, "Use metric units."),
                Message.text(Role.USER, "Weather in Oslo and Bergen?"),
                assistant("Checking both.",
                          new ToolCall("toolu_01A", "get_weather", "{\"city\":\"Oslo\"}"),
                          new ToolCall("call_abc", "get_weather", "{\"city\": \"Bergen\", \"days\": [1, 2]}")),
                toolResult("toolu_01A", "12 C, clear"),
                toolResult("call_abc", "9 C, rain"),
                Message.text(Role.ASSISTANT, "Oslo 12 C, Bergen 9 C."),
                Message.text(Role.USER, "And tomorrow?")),
                List.of(weatherTool()), Optional.of(new ToolChoice.Auto()), ChatRequest.Sampling.defaults(),
                false, false, Map.of("seed", 7, "response_format", Map.of("type", "text")));

        provider.complete(call(request));

        // Exact equality: passthrough (seed, response_format) is absent, the system prompt is one string,
        // both tool results share one user turn, and roles alternate.
        assertEquals(json("""
                {"model":"claude-sonnet-4-5","max_tokens":4096,
                 "system":"You are terse.\\n\\nUse metric units.",
                 "messages":[
                   {"role":"user","content":[{"type":"text","text":"Weather in Oslo and Bergen?"}]},
                   {"role":"assistant","content":[
                     {"type":"text","text":"Checking both."},
                     {"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{"city":"Oslo"}},
                     {"type":"tool_use","id":"call_abc","name":"get_weather","input":{"city":"Bergen","days":[1,2]}}]},
                   {"role":"user","content":[
                     {"type":"tool_result","tool_use_id":"toolu_01A","content":"12 C, clear"},
                     {"type":"tool_result","tool_use_id":"call_abc","content":"9 C, rain"}]},
                   {"role":"assistant","content":[{"type":"text","text":"Oslo 12 C, Bergen 9 C."}]},
                   {"role":"user","content":[{"type":"text","text":"And tomorrow?"}]}],
                 "tools":[{"name":"get_weather","description":"Current weather for a city",
                           "input_schema":{"type":"object","properties":{"city":{"type":"string"}},
                                           "required":["city"]}}],
                 "tool_choice":{"type":"auto"},
                 "stream":false}
                """), fake.lastRequest().body());
    }

    @Test
    void toolResultFollowedByUserTextShareOneTurn() throws ProviderException {
        provider.complete(call(AnthropicFixtures.request(
                Message.text(Role.USER, "Weather?"),
                assistant("", new ToolCall("toolu_1", "get_weather", "{}")),
                toolResult("toolu_1", "sunny"),
                Message.text(Role.USER, "Thanks. Tomorrow?"))));

        assertEquals(json("""
                [{"role":"user","content":[{"type":"text","text":"Weather?"}]},
                 {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}]},
                 {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"},
                                           {"type":"text","text":"Thanks. Tomorrow?"}]}]
                """), fake.lastRequest().body().get("messages"));
    }

    @Test
    void keyAndVersionHeadersAreSent() throws ProviderException {
        provider.complete(call("hi"));

        FakeAnthropic.Received received = fake.lastRequest();
        assertEquals(Optional.of(KEY_VALUE), received.header("x-api-key"));
        assertEquals(Optional.of("2023-06-01"), received.header("anthropic-version"));
        assertTrue(received.header("content-type").orElse("").startsWith("application/json"));
        assertEquals(Optional.empty(), received.header("authorization"));
    }

    @Test
    void configuredHeadersAreSentAndMayPinTheVersion() throws ProviderException {
        AnthropicProvider custom = new AnthropicProvider(config(fake.baseUrl(),
                Map.of("User-Agent", "picky-client/2.1", "anthropic-beta", "fine-grained-tool-streaming-2025-05-14",
                       "Anthropic-Version", "2024-10-22"),
                Map.of(), Timeouts.DEFAULTS), CLOCK);

        custom.complete(call("hi"));

        FakeAnthropic.Received received = fake.lastRequest();
        assertEquals(Optional.of("picky-client/2.1"), received.header("user-agent"));
        assertEquals(Optional.of("fine-grained-tool-streaming-2025-05-14"), received.header("anthropic-beta"));
        assertEquals(Optional.of("2024-10-22"), received.header("anthropic-version"));
        assertEquals(Optional.of(KEY_VALUE), received.header("x-api-key"));
    }

    @Test
    void streamRequestsSayStreamTrue() throws ProviderException {
        try (ChatStream stream = provider.stream(call("hi"))) {
            readAll(stream);
        }
        assertEquals(true, fake.lastRequest().body().get("stream").booleanValue());
    }

    @Test
    void roleMapIsAppliedBeforeTranslation() throws ProviderException {
        AnthropicProvider mapped = new AnthropicProvider(config(fake.baseUrl(), Map.of(),
                Map.of(Role.DEVELOPER, Role.USER), Timeouts.DEFAULTS), CLOCK);

        mapped.complete(call(AnthropicFixtures.request(
                Message.text(Role.SYSTEM, "Be brief."),
                Message.text(Role.DEVELOPER, "Context: Oslo."),
                Message.text(Role.USER, "Weather?"))));

        assertEquals("Be brief.", fake.lastRequest().body().get("system").asText());
        assertEquals(json("""
                [{"role":"user","content":[{"type":"text","text":"Context: Oslo."},{"type":"text","text":"Weather?"}]}]
                """), fake.lastRequest().body().get("messages"));
    }

    @Test
    void baseUrlEndingInV1IsNotDoubled() throws ProviderException {
        AnthropicProvider v1 = new AnthropicProvider(config(URI.create(fake.baseUrl() + "/v1")), CLOCK);

        assertEquals("Hello from the fake Anthropic.", v1.complete(call("hi")).message().text());
    }

    @Test
    void untranslatableRequestFailsBeforeAnythingIsSent() {
        ProviderException e = assertThrows(ProviderException.class, () -> provider.complete(call(AnthropicFixtures.request(
                Message.text(Role.USER, "Weather?"),
                assistant("", new ToolCall("call_1", "get_weather", "{\"city\":")),
                toolResult("call_1", "sunny")))));

        assertEquals(FailureKind.BAD_REQUEST, e.failure().kind());
        assertEquals(List.of(), fake.requests());
    }

    private static ToolDefinition weatherTool() {
        return new ToolDefinition("get_weather", "Current weather for a city", Map.of(
                "type", "object",
                "properties", Map.of("city", Map.of("type", "string")),
                "required", List.of("city")));
    }
}

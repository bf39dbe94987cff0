package io.hedgerow.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.ToolChoice;
import io.hedgerow.model.ToolDefinition;
import io.hedgerow.model.Usage;
import io.hedgerow.dialect.DialectException;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.hedgerow.dialect.anthropic.AnthropicFixtures.assistant;
import static io.hedgerow.dialect.anthropic.AnthropicFixtures.json;
import static io.hedgerow.dialect.anthropic.AnthropicFixtures.request;
import static io.hedgerow.dialect.anthropic.AnthropicFixtures.toolResult;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Canonical <-> Messages translation without HTTP. */
class AnthropicCodecTest {

    @Test
    void eachToolChoiceMapsToAnthropicsShape() throws DialectException {
        Map<ToolChoice, String> expected = Map.of(
                new ToolChoice.Auto(), "{\"type\":\"auto\"}",
                new ToolChoice.None(), "{\"type\":\"none\"}",
                new ToolChoice.Required(), "{\"type\":\"any\"}",
                new ToolChoice.Function("get_weather"), "{\"type\":\"tool\",\"name\":\"get_weather\"}");
        for (Map.Entry<ToolChoice, String> e : expected.entrySet()) {
            ChatRequest request = new ChatRequest("smart", List.of(Message.text(Role.USER, "hi")),
                    List.of(weatherTool()), Optional.of(e.getKey()), ChatRequest.Sampling.defaults(), false, false,
                    Map.of());
            assertEquals(json(e.getValue()), AnthropicCodec.request(request, "m", false).get("tool_choice"),
                         e.getKey().toString());
        }
    }

    @Test
    void toolsBecomeNameDescriptionAndInputSchema() throws DialectException {
        ToolDefinition noParams = new ToolDefinition("now", "", Map.of());
        ChatRequest request = new ChatRequest("smart", List.of(Message.text(Role.USER, "hi")),
                List.of(weatherTool(), noParams), Optional.empty(), ChatRequest.Sampling.defaults(), false, false,
                Map.of());
        JsonNode body = AnthropicCodec.request(request, "m", false);
        assertEquals(json("""
                [{"name":"get_weather","description":"Current weather for a city",
                  "input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
                 {"name":"now","input_schema":{"type":"object","properties":{}}}]
                """), body.get("tools"));
        assertFalse(body.has("tool_choice"));
    }

    @Test
    void samplingIsTranslatedAndMaxTokensHasADefault() throws DialectException {
        ChatRequest set = new ChatRequest("smart", List.of(Message.text(Role.USER, "hi")), List.of(),
                Optional.empty(), new ChatRequest.Sampling(Optional.of(0.2), Optional.of(0.9), Optional.of(100),
                List.of("END", "STOP")), true, true, Map.of("seed", 7));
        JsonNode body = AnthropicCodec.request(set, "claude-x", true);
        assertEquals(json("""
                {"model":"claude-x","max_tokens":100,
                 "messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],
                 "temperature":0.2,"top_p":0.9,"stop_sequences":["END","STOP"],"stream":true}
                """), body);

        JsonNode defaults = AnthropicCodec.request(request(Message.text(Role.USER, "hi")), "claude-x", false);
        assertEquals(4096, defaults.get("max_tokens").intValue());
        assertFalse(defaults.has("temperature") || defaults.has("top_p") || defaults.has("stop_sequences"));
    }

    @Test
    void imagesBecomeBase64OrUrlSources() throws DialectException {
        Message user = new Message(Role.USER, List.of(
                new ContentPart.Text("What is this?"),
                new ContentPart.Image("data:image/png;base64,iVBORw0KGgo=", "high"),
                new ContentPart.Image("https://example.com/cat.jpg", "")), List.of(), Optional.empty(),
                Optional.empty());
        JsonNode body = AnthropicCodec.request(request(user), "m", false);
        assertEquals(json("""
                [{"type":"text","text":"What is this?"},
                 {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
                 {"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}]
                """), body.path("messages").path(0).path("content"));
    }

    @Test
    void imagesThatCannotBeExpressedAreRejected() {
        for (String url : List.of("data:image/svg+xml,%3Csvg%3E", "file:///etc/passwd", "data:;base64,AAAA")) {
            Message user = new Message(Role.USER, List.of(new ContentPart.Image(url, "")), List.of(),
                                       Optional.empty(), Optional.empty());
            DialectException e = assertThrows(DialectException.class,
                                               () -> AnthropicCodec.request(request(user), "m", false), url);
            assertEquals(FailureKind.BAD_REQUEST, e.failure().kind(), url);
        }
    }

    @Test
    void toolArgumentsThatAreNotAJsonObjectFailTheCall() {
        for (String arguments : List.of("{\"city\": \"Oslo\"", "", "[1,2]", "\"Oslo\"")) {
            ChatRequest request = request(Message.text(Role.USER, "weather?"),
                    assistant("", new ToolCall("call_9", "get_weather", arguments)),
                    toolResult("call_9", "sunny"));
            DialectException e = assertThrows(DialectException.class,
                                               () -> AnthropicCodec.request(request, "m", false), arguments);
            assertEquals(FailureKind.BAD_REQUEST, e.failure().kind());
            assertTrue(e.failure().message().contains("call_9"), e.failure().message());
        }
    }

    @Test
    void toolArgumentNumbersAreNotRounded() throws DialectException {
        String arguments = "{\"price\":1.10,\"big\":123456789012345678901234567890,\"tiny\":0.1000000000000000055511}";
        ChatRequest request = request(Message.text(Role.USER, "buy"),
                assistant("", new ToolCall("call_1", "buy", arguments)), toolResult("call_1", "done"));
        byte[] body = AnthropicCodec.encode(request, "m", false);
        String text = new String(body, StandardCharsets.UTF_8);
        assertTrue(text.contains("\"input\":" + arguments), text);
    }

    @Test
    void toolMessageWithoutCallIdIsRejected() {
        Message orphan = new Message(Role.TOOL, List.of(new ContentPart.Text("x")), List.of(), Optional.empty(),
                                     Optional.empty());
        DialectException e = assertThrows(DialectException.class,
                () -> AnthropicCodec.request(request(Message.text(Role.USER, "hi"), orphan), "m", false));
        assertEquals(FailureKind.BAD_REQUEST, e.failure().kind());
    }

    @Test
    void emptyTextIsDroppedAndConsecutiveUserMessagesMerge() throws DialectException {
        JsonNode body = AnthropicCodec.request(request(
                Message.text(Role.USER, "one"),
                Message.text(Role.USER, ""),
                Message.text(Role.USER, "two"),
                Message.text(Role.ASSISTANT, "ok"),
                toolResult("toolu_1", "")), "m", false);
        assertEquals(json("""
                [{"role":"user","content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]},
                 {"role":"assistant","content":[{"type":"text","text":"ok"}]},
                 {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1"}]}]
                """), body.get("messages"));
    }

    @Test
    void stopReasonsMapToFinishReasons() {
        assertEquals(FinishReason.STOP, AnthropicCodec.finishReason(Optional.of("end_turn")));
        assertEquals(FinishReason.STOP, AnthropicCodec.finishReason(Optional.of("stop_sequence")));
        assertEquals(FinishReason.LENGTH, AnthropicCodec.finishReason(Optional.of("max_tokens")));
        assertEquals(FinishReason.TOOL_CALLS, AnthropicCodec.finishReason(Optional.of("tool_use")));
        assertEquals(FinishReason.CONTENT_FILTER, AnthropicCodec.finishReason(Optional.of("refusal")));
        assertEquals(FinishReason.STOP, AnthropicCodec.finishReason(Optional.empty()));
    }

    @Test
    void responseTakesThinkingAsReasoningAndJoinsText() throws DialectException {
        String body = """
                {"id":"msg_1","type":"message","role":"assistant","model":"claude-x",
                 "content":[{"type":"thinking","thinking":"hmm","signature":"s"},
                            {"type":"redacted_thinking","data":"EmwKAhgB"},
                            {"type":"text","text":"Hello, "},{"type":"text","text":"world"}],
                 "stop_reason":"max_tokens","usage":{"input_tokens":3,"output_tokens":2}}
                """;
        ChatResponse response = AnthropicCodec.response(body.getBytes(StandardCharsets.UTF_8), "m");
        assertEquals("Hello, world", response.message().text());
        assertEquals(FinishReason.LENGTH, response.finishReason());
        assertEquals(Optional.of(new Usage(3, 2)), response.usage(), "no cache counts reported, none made up");
        assertEquals("claude-x", response.model());
        assertEquals(Optional.of("hmm"), response.reasoning());
    }

    @Test
    void responseWithoutContentOrNotJsonIsABadResponse() {
        for (String body : List.of("{\"type\":\"message\",\"model\":\"x\"}", "<html>502</html>", "[]", "")) {
            DialectException e = assertThrows(DialectException.class, () -> AnthropicCodec.response(
                    body.getBytes(StandardCharsets.UTF_8), "m"), body);
            assertEquals(FailureKind.BAD_RESPONSE, e.failure().kind(), body);
        }
    }

    private static ToolDefinition weatherTool() {
        return new ToolDefinition("get_weather", "Current weather for a city", Map.of(
                "type", "object",
                "properties", Map.of("city", Map.of("type", "string")),
                "required", List.of("city")));
    }

    @org.junit.jupiter.api.Test
    void toolIdsAnthropicWouldRejectAreRewrittenTheSameWayInCallAndResultAndBackAgain() {
        org.junit.jupiter.api.Assertions.assertEquals("toolu_01A-b", AnthropicCodec.toolUseId("toolu_01A-b"));
        String rewritten = AnthropicCodec.toolUseId("functions.get_weather:0");
        org.junit.jupiter.api.Assertions.assertTrue(rewritten.matches("toolu_hr_[a-zA-Z0-9_-]+"), rewritten);
        org.junit.jupiter.api.Assertions.assertEquals(rewritten, AnthropicCodec.toolUseId("functions.get_weather:0"));
        org.junit.jupiter.api.Assertions.assertNotEquals(rewritten, AnthropicCodec.toolUseId("functions.get_weather.0"));
        org.junit.jupiter.api.Assertions.assertEquals("functions.get_weather:0", AnthropicCodec.originalToolId(rewritten));
        org.junit.jupiter.api.Assertions.assertEquals("call \u00e9/1", AnthropicCodec.originalToolId(
                AnthropicCodec.toolUseId("call \u00e9/1")));
        // Ids that were never rewritten stay as they are, even when they look alike.
        org.junit.jupiter.api.Assertions.assertEquals("toolu_01A-b", AnthropicCodec.originalToolId("toolu_01A-b"));
        org.junit.jupiter.api.Assertions.assertEquals("toolu_hr_abc", AnthropicCodec.originalToolId("toolu_hr_abc"));
        String valid = "toolu_hr_" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                "call_1".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        org.junit.jupiter.api.Assertions.assertEquals(valid, AnthropicCodec.originalToolId(valid));
        org.junit.jupiter.api.Assertions.assertEquals("toolu_hr_!", AnthropicCodec.originalToolId("toolu_hr_!"));
        // Too long to carry: rewritten one way, still Anthropic's alphabet, still distinct.
        String longId = "x.".repeat(100);
        String oneWay = AnthropicCodec.toolUseId(longId);
        org.junit.jupiter.api.Assertions.assertTrue(oneWay.matches("[a-zA-Z0-9_-]+") && !oneWay.startsWith("toolu_hr_"),
                                                    oneWay);
        org.junit.jupiter.api.Assertions.assertEquals(oneWay, AnthropicCodec.originalToolId(oneWay));
    }
}

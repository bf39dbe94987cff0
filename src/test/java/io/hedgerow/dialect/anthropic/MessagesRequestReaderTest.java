package io.hedgerow.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.json.Json;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.ToolChoice;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Anthropic requests into the canonical model, and every documented check with the field it names. */
class MessagesRequestReaderTest {

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static MessagesRequestReader.Read read(String body) throws InvalidRequestException {
        return MessagesRequestReader.read(json(body));
    }

    private static String base(String extra) {
        return "{\"model\":\"m\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]" + extra + "}";
    }

    @Test
    void aConversationWithToolsBecomesCanonicalMessagesInOrder() throws Exception {
        ChatRequest request = read("""
                {"model":"claude","max_tokens":512,"stream":true,"temperature":0.5,"stop_sequences":["END"],
                 "system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral","ttl":"1h"}}],
                 "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object"}}],
                 "tool_choice":{"type":"any","disable_parallel_tool_use":true},
                 "messages":[
                   {"role":"user","content":[{"type":"text","text":"Weather?"},
                     {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}}]},
                   {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"},
                     {"type":"text","text":"Checking."},
                     {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Oslo","t":1.10}}]},
                   {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny",
                     "is_error":false},{"type":"text","text":"Thanks"}]}]}""").request();

        assertEquals(List.of(Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.TOOL, Role.USER),
                     request.messages().stream().map(Message::role).toList());
        assertEquals(new ContentPart.Image("data:image/png;base64,iVBOR", ""),
                     request.messages().get(1).content().get(1));
        assertEquals(List.of(new ToolCall("toolu_1", "get_weather", "{\"city\":\"Oslo\",\"t\":1.1}")),
                     request.messages().get(2).toolCalls());
        assertEquals(Optional.of("toolu_1"), request.messages().get(3).toolCallId());
        assertEquals(Optional.of(new ToolChoice.Required()), request.toolChoice());
        assertEquals(Map.of("parallel_tool_calls", false), request.passthrough());
        assertEquals(Optional.of(512), request.sampling().maxTokens());
        assertEquals(List.of("END"), request.sampling().stop());
        assertTrue(request.stream());
    }

    @Test
    void whatOnlyAnthropicCanExpressIsSaidSo() throws Exception {
        assertEquals(Optional.empty(), read(base("")).ownDialectOnly());
        assertEquals(Optional.of("server tools (web_search_20250305)"), read(base(
                ",\"tools\":[{\"type\":\"web_search_20250305\",\"name\":\"web_search\",\"max_uses\":3}]"))
                .ownDialectOnly());
        assertEquals(Optional.of("PDF documents"), read("""
                {"model":"m","max_tokens":9,"messages":[{"role":"user","content":[{"type":"document",
                 "source":{"type":"base64","media_type":"application/pdf","data":"JVBER"}}]}]}""").ownDialectOnly());
        assertTrue(read(base(",\"thinking\":{\"type\":\"adaptive\"}")).thinking());
        assertFalse(read(base(",\"thinking\":{\"type\":\"disabled\"}")).thinking());
    }

    @Test
    void everyCheckNamesItsField() {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "model: is required");
        cases.put("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "max_tokens: is required");
        cases.put(base(",\"max_tokens\":0").replace("\"max_tokens\":100,", ""), "max_tokens: 0 (expected");
        cases.put(base(",\"temperature\":1.5"), "temperature: 1.5 (expected: a number from 0 to 1)");
        cases.put(base(",\"top_p\":\"high\""), "top_p: \"high\" (expected: a number from 0 to 1)");
        cases.put(base(",\"top_k\":-1"), "top_k: -1 (expected: an integer of at least 0)");
        cases.put(base(",\"stop_sequences\":[\" \"]"), "stop_sequences.0: \" \"");
        cases.put(base(",\"metadata\":{\"user_id\":5}"), "metadata.user_id: 5 (expected: a string");
        cases.put(base(",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":512}"), "thinking.budget_tokens");
        cases.put(base(",\"tool_choice\":{\"type\":\"some\"}"), "tool_choice.type: \"some\"");
        cases.put(base(",\"tool_choice\":{\"type\":\"tool\"}"), "tool_choice.name: is required");
        cases.put(base(",\"tools\":[{\"name\":\"a b\",\"input_schema\":{\"type\":\"object\"}}]"), "tools.0.name");
        cases.put(base(",\"tools\":[{\"name\":\"ab\",\"input_schema\":{\"type\":\"array\"}}]"),
                  "tools.0.input_schema.type");
        cases.put(base(",\"service_tier\":\"gold\""), "service_tier: \"gold\"");
        cases.put("{\"model\":\"m\",\"max_tokens\":9,\"messages\":[]}", "messages: at least one message");
        cases.put("{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}",
                  "messages.0.role: \"system\"");
        cases.put("{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":\"\"}]}",
                  "messages.0.content: must not be empty");
        cases.put("{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\","
                          + "\"source\":{\"type\":\"base64\",\"media_type\":\"image/bmp\",\"data\":\"x\"}}]}]}",
                  "messages.0.content.0.source.media_type: \"image/bmp\"");
        cases.put("{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":"
                          + "\"tool_use\",\"id\":\"a:b\",\"name\":\"f\",\"input\":{}}]}]}",
                  "messages.0.content.0.id: \"a:b\"");
        cases.put("{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
                          + "\"text\",\"text\":\"x\",\"cache_control\":{\"type\":\"forever\"}}]}]}",
                  "messages.0.content.0.cache_control.type");
        cases.put("{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
                          + "\"video\"}]}]}", "messages.0.content.0.type: \"video\"");
        cases.forEach((body, expected) -> {
            InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> read(body), body);
            assertTrue(e.getMessage().startsWith(expected), e.getMessage() + " for " + body);
        });
    }

    @Test
    void everyToolChoiceHasItsCanonicalCounterpart() throws Exception {
        assertEquals(Optional.of(new ToolChoice.Auto()),
                     read(base(",\"tool_choice\":{\"type\":\"auto\"}")).request().toolChoice());
        assertEquals(Optional.of(new ToolChoice.None()),
                     read(base(",\"tool_choice\":{\"type\":\"none\"}")).request().toolChoice());
        assertEquals(Optional.of(new ToolChoice.Function("get_weather")),
                     read(base(",\"tool_choice\":{\"type\":\"tool\",\"name\":\"get_weather\"}")).request()
                             .toolChoice());
        assertEquals(Map.of(), read(base(",\"tool_choice\":{\"type\":\"auto\",\"disable_parallel_tool_use\":false}"))
                .request().passthrough());
    }

    @Test
    void aFinalAssistantTurnMayBeEmptyAndCountingNeedsNoOutputLimit() throws Exception {
        read("{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                     + "{\"role\":\"assistant\",\"content\":\"\"}]}");
        ChatRequest count = MessagesRequestReader.readCount(json(
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")).request();
        assertEquals(Optional.empty(), count.sampling().maxTokens());
    }
}

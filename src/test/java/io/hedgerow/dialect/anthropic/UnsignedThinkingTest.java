package io.hedgerow.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.json.Json;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnsignedThinkingTest {
    private static final String SIGNED = "{\"type\":\"thinking\",\"thinking\":\"Signed.\",\"signature\":\"EqQB\"}";
    private static final String UNSIGNED = "{\"type\":\"thinking\",\"thinking\":\"Shown.\",\"signature\":\"\"}";
    private static final String TOOL_USE = "{\"type\":\"tool_use\",\"id\":\"call_1\",\"name\":\"f\",\"input\":{}}";
    private static final String TOOL_RESULT = "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\","
            + "\"tool_use_id\":\"call_1\",\"content\":\"ok\"}]}";

    private static String request(String... turns) {
        return "{\"model\":\"m\",\"max_tokens\":4096,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}," + String.join(",", turns) + "]}";
    }

    private static String assistant(String... blocks) {
        return "{\"role\":\"assistant\",\"content\":[" + String.join(",", blocks) + "]}";
    }

    private static Optional<JsonNode> strip(String body) throws IOException {
        Optional<byte[]> stripped = UnsignedThinking.strip(Json.MAPPER.readTree(body));
        return stripped.isEmpty() ? Optional.empty() : Optional.of(Json.MAPPER.readTree(stripped.get()));
    }

    @Test
    void aRequestWithoutUnsignedThinkingIsLeftAsItsBytes() throws IOException {
        assertEquals(Optional.empty(), strip(request(assistant(SIGNED, TOOL_USE), TOOL_RESULT)));
        assertEquals(Optional.empty(), strip("{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\","
                                                     + "\"content\":\"text\"}]}"));
    }

    @Test
    void unsignedBlocksGoAndThinkingStaysWhenTheLastTurnKeepsItsOwn() throws IOException {
        JsonNode out = strip(request(assistant(UNSIGNED, "{\"type\":\"text\",\"text\":\"Earlier.\"}"),
                                     "{\"role\":\"user\",\"content\":\"More\"}", assistant(SIGNED, TOOL_USE),
                                     TOOL_RESULT)).orElseThrow();
        assertEquals("text", out.at("/messages/1/content/0/type").asText(), out.toString());
        assertEquals(1, out.at("/messages/1/content").size());
        assertEquals("EqQB", out.at("/messages/3/content/0/signature").asText());
        assertEquals(1024, out.at("/thinking/budget_tokens").asInt());
    }

    @Test
    void aToolLoopWhoseLastTurnLostItsThinkingIsAskedWithoutThinking() throws IOException {
        JsonNode out = strip(request(assistant(UNSIGNED, TOOL_USE), TOOL_RESULT)).orElseThrow();
        assertEquals("tool_use", out.at("/messages/1/content/0/type").asText(), out.toString());
        assertTrue(out.path("thinking").isMissingNode());
    }

    @Test
    void aTurnOfNothingButShownReasoningGoes() throws IOException {
        JsonNode out = strip(request(assistant(UNSIGNED), "{\"role\":\"user\",\"content\":\"Again\"}"))
                .orElseThrow();
        assertEquals(2, out.path("messages").size(), out.toString());
        assertEquals("Again", out.at("/messages/1/content").asText());
        assertFalse(out.path("thinking").isMissingNode(), "no tool loop was cut short");
    }
}

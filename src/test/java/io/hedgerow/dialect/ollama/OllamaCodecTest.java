package io.hedgerow.dialect.ollama;

import io.hedgerow.dialect.DialectException;
import io.hedgerow.json.Json;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Ollama dialect's pure pieces: request encoding details, image URLs, tool-call ids. */
class OllamaCodecTest {
    private static final String MODEL = "llama3.1";

    @Test
    void argumentsKeepTheirNumbersExactly() throws Exception {
        Message assistant = new Message(Role.ASSISTANT, List.of(),
                List.of(new ToolCall("c", "pay", "{\"amount\":1.10,\"id\":123456789012345678901234567890}")),
                Optional.empty(), Optional.empty());

        String sent = Json.MAPPER.writeValueAsString(OllamaCodec.request(request(assistant), MODEL, false));

        assertTrue(sent.contains("\"arguments\":{\"amount\":1.10,\"id\":123456789012345678901234567890}"),
                   sent);
    }

    @Test
    void dataUrlsBecomeBase64() throws DialectException {
        assertEquals("iVBORw0KGgo=", OllamaCodec.imageBase64("data:image/png;base64,iVBORw0KGgo=", 0));
        assertEquals("iVBORw0KGgo=", OllamaCodec.imageBase64("DATA:image/png;BASE64,iVBORw0KGgo=", 0));
        String svg = "<svg a+b='1'/>";
        assertEquals(Base64.getEncoder().encodeToString(svg.getBytes(StandardCharsets.UTF_8)),
                     OllamaCodec.imageBase64("data:image/svg+xml,%3Csvg%20a+b='1'/%3E", 0));
        for (String bad : List.of("data:image/png;base64,!!notbase64!!", "data:image/png;base64", "data:,%zz",
                                  "http://example.com/a.png", "file:///etc/passwd")) {
            assertEquals(FailureKind.BAD_REQUEST, assertThrows(DialectException.class, () -> OllamaCodec.imageBase64(bad, 3)).failure().kind(), bad);
        }
    }

    @Test
    void idsDependOnTheCall() {
        String a = OllamaCodec.toolCallId(0, "f", "{\"x\":1}");
        assertEquals(a, OllamaCodec.toolCallId(0, "f", "{\"x\":1}"));
        assertNotEquals(a, OllamaCodec.toolCallId(0, "f", "{\"x\":2}"));
        assertNotEquals(a, OllamaCodec.toolCallId(0, "g", "{\"x\":1}"));
        // Name and arguments are separated, so moving a character across the boundary changes the id.
        assertNotEquals(OllamaCodec.toolCallId(0, "ab", "c"), OllamaCodec.toolCallId(0, "a", "bc"));
    }

    private static ChatRequest request(Message... messages) {
        return new ChatRequest("local", List.of(messages), List.of(), Optional.empty(),
                               ChatRequest.Sampling.defaults(), false, false, Map.of());
    }
}

package io.hedgerow.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.config.ApiKey;
import io.hedgerow.json.Json;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Canonical requests and JSON helpers shared by the Anthropic dialect's tests and the adapter's. */
public final class AnthropicFixtures {
    public static final String KEY_VALUE = "sk-ant-test-123";
    public static final ApiKey KEY = ApiKey.of("main", KEY_VALUE);

    private AnthropicFixtures() {
    }

    public static ChatRequest request(Message... messages) {
        return new ChatRequest("smart", List.of(messages), List.of(), Optional.empty(),
                               ChatRequest.Sampling.defaults(), false, false, Map.of());
    }

    public static Message assistant(String text, ToolCall... calls) {
        List<ContentPart> content = text.isEmpty() ? List.of()
                : List.of(new ContentPart.Text(text));
        return new Message(Role.ASSISTANT, content, List.of(calls), Optional.empty(), Optional.empty());
    }

    public static Message toolResult(String callId, String text) {
        return new Message(Role.TOOL, List.of(new ContentPart.Text(text)), List.of(),
                           Optional.of(callId), Optional.empty());
    }

    public static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

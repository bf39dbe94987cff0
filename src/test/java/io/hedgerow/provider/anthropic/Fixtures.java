package io.hedgerow.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.config.ApiKey;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderType;
import io.hedgerow.config.SimSettings;
import io.hedgerow.config.Timeouts;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.ToolCall;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.wire.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Shared builders for the Anthropic adapter's tests. */
final class Fixtures {
    static final String KEY_VALUE = "sk-ant-test-123";
    static final ApiKey KEY = ApiKey.of("main", KEY_VALUE);
    static final String MODEL = "claude-sonnet-4-5";
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-02T14:00:00Z"), ZoneOffset.UTC);

    private Fixtures() {
    }

    static ProviderConfig config(URI baseUrl) {
        return config(baseUrl, Map.of(), Map.of(), Timeouts.DEFAULTS);
    }

    static ProviderConfig config(URI baseUrl, Map<String, String> headers, Map<Role, Role> roleMap,
                                 Timeouts timeouts) {
        return new ProviderConfig("anthropic-main", ProviderType.ANTHROPIC, Optional.of(baseUrl), List.of(KEY),
                                  headers, roleMap, timeouts, SimSettings.DEFAULTS);
    }

    static ChatRequest request(Message... messages) {
        return new ChatRequest("smart", List.of(messages), List.of(), Optional.empty(),
                               ChatRequest.Sampling.defaults(), false, false, Map.of());
    }

    static ProviderCall call(ChatRequest request) {
        return new ProviderCall(request, MODEL, Optional.of(KEY));
    }

    static ProviderCall call(String userText) {
        return call(request(Message.text(Role.USER, userText)));
    }

    static Message assistant(String text, ToolCall... calls) {
        List<ContentPart> content = text.isEmpty() ? List.of()
                : List.of(new ContentPart.Text(text));
        return new Message(Role.ASSISTANT, content, List.of(calls), Optional.empty(), Optional.empty());
    }

    static Message toolResult(String callId, String text) {
        return new Message(Role.TOOL, List.of(new ContentPart.Text(text)), List.of(),
                           Optional.of(callId), Optional.empty());
    }

    static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every event until the stream ends properly. */
    static List<StreamEvent> readAll(ChatStream stream) throws ProviderException {
        List<StreamEvent> events = new ArrayList<>();
        for (Optional<StreamEvent> e = stream.next(); e.isPresent(); e = stream.next()) {
            events.add(e.get());
        }
        return events;
    }

    /** The text split as the fake splits it into deltas. */
    static List<String> pieces(String text, int size) {
        List<String> pieces = new ArrayList<>();
        for (int i = 0; i < text.length(); i += size) {
            pieces.add(text.substring(i, Math.min(text.length(), i + size)));
        }
        return pieces;
    }
}

package io.hedgerow.provider.anthropic;

import io.hedgerow.config.ApiKey;
import io.hedgerow.dialect.anthropic.AnthropicFixtures;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderType;
import io.hedgerow.config.SimSettings;
import io.hedgerow.config.Timeouts;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderException;

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
    static final ApiKey KEY = AnthropicFixtures.KEY;
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

    static ProviderCall call(ChatRequest request) {
        return new ProviderCall(request, MODEL, Optional.of(KEY));
    }

    static ProviderCall call(String userText) {
        return call(AnthropicFixtures.request(Message.text(Role.USER, userText)));
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
